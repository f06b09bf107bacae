#!/usr/bin/env bash
set -u
fail() { printf '%s\n' "$1" > "${KUBELAB_REASON_FILE:-/dev/stdout}"; exit 1; }
cmd=$(kubectl -n frontend get pod client -o jsonpath='{.spec.containers[0].command} {.spec.containers[0].args}' 2>/dev/null) || fail "Pod frontend/client not found"
case "$cmd" in *api.backend*) ;; *) fail "pod client does not call the Service by name (expected api.backend... in its command, got: $cmd)";; esac
kubectl -n frontend wait pod/client --for=condition=Ready --timeout=15s >/dev/null 2>&1 || fail "pod client is not Ready (phase $(kubectl -n frontend get pod client -o jsonpath='{.status.phase}'))"
for i in 1 2 3 4 5 6 7 8; do
  kubectl -n frontend logs client --tail=20 2>/dev/null | grep -q 'api v1' && exit 0
  sleep 1
done
fail "pod client runs, but its log shows no answer from api (last line: $(kubectl -n frontend logs client --tail=1 2>&1))"
exit 0
