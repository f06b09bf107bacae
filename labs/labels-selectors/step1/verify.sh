#!/usr/bin/env bash
set -u
fail() { printf '%s\n' "$1" > "${KUBELAB_REASON_FILE:-/dev/stdout}"; exit 1; }
kubectl -n dev get pod web-1 -o name >/dev/null 2>&1 || fail "pod dev/web-1 not found"
got=$(kubectl -n dev get pods -l app=web,tier=frontend -o name)
case "$got" in *pod/web-1*) ;; *) fail "selector app=web,tier=frontend does not match pod web-1 (labels: $(kubectl -n dev get pod web-1 -o jsonpath='{.metadata.labels}'))";; esac
exit 0
