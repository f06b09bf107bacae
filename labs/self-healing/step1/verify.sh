#!/usr/bin/env bash
set -u
fail() { printf '%s\n' "$1" > "${KUBELAB_REASON_FILE:-/dev/stdout}"; exit 1; }
orig=$(kubectl -n dev get configmap kubelab-original-pods -o jsonpath='{.data.names}' 2>/dev/null) || fail "the lab's record of the original pods is gone: reset the lab"
now=" $(kubectl -n dev get pods -l app=web -o jsonpath='{.items[*].metadata.name}') "
gone=0; for p in $orig; do case "$now" in *" $p "*) ;; *) gone=$((gone+1));; esac; done
[ "$gone" -ge 1 ] || fail "all 3 original web pods are still there: delete one of them"
d=web want=3
if ! kubectl -n dev wait "deploy/$d" --for=jsonpath='{.status.readyReplicas}'="$want" --timeout=15s >/dev/null 2>&1; then
  ready=$(kubectl -n dev get deploy "$d" -o jsonpath='{.status.readyReplicas}')
  fail "${ready:-0} of $want replicas of Deployment dev/$d are ready"
fi
exit 0
