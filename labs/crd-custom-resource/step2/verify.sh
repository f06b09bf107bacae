#!/usr/bin/env bash
set -u
fail() { printf '%s\n' "$1" > "${KUBELAB_REASON_FILE:-/dev/stdout}"; exit 1; }
kubectl get crd backups.stable.example.com -o name >/dev/null 2>&1 || fail "the CRD backups.stable.example.com is gone: step 1 made it"
kubectl -n ops get backups.stable.example.com nightly -o name >/dev/null 2>&1 || fail "no Backup nightly in namespace ops"
s=$(kubectl -n ops get backups.stable.example.com nightly -o jsonpath='{.spec.schedule}')
[ "$s" = '0 2 * * *' ] || fail "nightly's spec.schedule is '$s', expected '0 2 * * *'"
r=$(kubectl -n ops get backups.stable.example.com nightly -o jsonpath='{.spec.retentionDays}')
[ "$r" = 7 ] || fail "nightly's spec.retentionDays is '$r', expected 7"
exit 0
