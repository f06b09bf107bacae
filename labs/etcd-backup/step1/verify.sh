#!/usr/bin/env bash
set -u
fail() { printf '%s\n' "$1" > "${KUBELAB_REASON_FILE:-/dev/stdout}"; exit 1; }
f="${KUBELAB_ROOT:-}/var/lib/etcd-backup/snapshot.db"
command -v etcdctl >/dev/null 2>&1 || fail "etcdctl is not installed on the control-plane node (Debian/Ubuntu: apt-get install etcd-client)"
[ -s "$f" ] || fail "no snapshot at /var/lib/etcd-backup/snapshot.db on the control-plane node${KUBELAB_ROOT:+ (here: $f)}: etcdctl snapshot save it there"
st=$(ETCDCTL_API=3 etcdctl snapshot status "$f" -w json 2>&1) || fail "$f is not an etcd snapshot: $(printf '%s' "$st" | tail -n1)"
rev=$(printf '%s' "$st" | sed -n 's/.*"revision":\([0-9]*\).*/\1/p')
want=$(kubectl -n dev get configmap release -o jsonpath='{.metadata.resourceVersion}' 2>/dev/null) || fail "ConfigMap dev/release is gone: kubelab lab reset puts it back"
[ "${rev:-0}" -ge "${want:-0}" ] || fail "the snapshot is at etcd revision ${rev:-?}, older than ConfigMap dev/release (revision $want): save a new one"
# Only a snapshot etcdctl saved carries the hash restore checks; a copy of etcd's data file does not.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
out=$(cd "$tmp" && ETCDCTL_API=3 etcdctl snapshot restore "$f" --data-dir "$tmp/restored" 2>&1) || fail "the snapshot does not restore: $(printf '%s' "$out" | tail -n1)"
exit 0
