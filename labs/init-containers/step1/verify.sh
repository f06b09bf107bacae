#!/usr/bin/env bash
set -u
fail() { printf '%s\n' "$1" > "${KUBELAB_REASON_FILE:-/dev/stdout}"; exit 1; }
n=$(kubectl -n dev get pod init-demo -o jsonpath='{.spec.initContainers[*].name}' 2>/dev/null) || fail "Pod dev/init-demo not found"
[ -n "$n" ] || fail "pod init-demo has no init containers (spec.initContainers is empty)"
kubectl -n dev wait pod/init-demo --for=condition=Ready --timeout=15s >/dev/null 2>&1 || fail "pod init-demo is not Ready (status: $(kubectl -n dev get pod init-demo -o jsonpath='{.status.initContainerStatuses[0].state}'))"
page=$(kubectl -n dev exec init-demo -c "$(kubectl -n dev get pod init-demo -o jsonpath='{.spec.containers[0].name}')" -- cat /usr/share/nginx/html/index.html 2>&1)
case "$page" in *'hello from init'*) ;; *) fail "/usr/share/nginx/html/index.html in the main container says: $(printf %s "$page" | head -c 80); expected 'hello from init'";; esac
exit 0
