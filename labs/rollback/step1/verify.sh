#!/usr/bin/env bash
set -u
fail() { printf '%s\n' "$1" > "${KUBELAB_REASON_FILE:-/dev/stdout}"; exit 1; }
img=$(kubectl -n dev get deploy web -o jsonpath='{.spec.template.spec.containers[0].image}' 2>/dev/null) || fail "Deployment dev/web not found"
[ "$img" != nginx:does-not-exist ] || fail "web still uses the broken image nginx:does-not-exist"
kubectl -n dev rollout status deploy/web --timeout=15s >/dev/null 2>&1 || fail "the rollout of dev/web has not finished"
bad=$(kubectl -n dev get pods -l app=web -o jsonpath='{range .items[*]}{.status.containerStatuses[*].state.waiting.reason}{"\n"}{end}' | grep -E 'ImagePullBackOff|ErrImagePull' || true)
[ -z "$bad" ] || fail "a web pod is still waiting in $bad"
exit 0
