#!/usr/bin/env bash
set -u
fail() { printf '%s\n' "$1" > "${KUBELAB_REASON_FILE:-/dev/stdout}"; exit 1; }
img=$(kubectl -n dev get deploy web -o jsonpath='{.spec.template.spec.containers[0].image}' 2>/dev/null) || fail "Deployment dev/web not found"
[ "$img" = nginx:1.27-alpine ] || fail "the image is $img; expected nginx:1.27-alpine"
s=$(kubectl -n dev get deploy web -o jsonpath='{.spec.strategy.rollingUpdate.maxSurge}')
u=$(kubectl -n dev get deploy web -o jsonpath='{.spec.strategy.rollingUpdate.maxUnavailable}')
[ "$s/$u" = 1/0 ] || fail "the strategy changed (maxSurge $s, maxUnavailable $u); keep 1 and 0"
if ! kubectl -n dev wait deploy/web --for=jsonpath='{.status.updatedReplicas}'=4 --timeout=15s >/dev/null 2>&1; then
  fail "$(kubectl -n dev get deploy web -o jsonpath='{.status.updatedReplicas}') of 4 replicas are updated so far"
fi
kubectl -n dev wait deploy/web --for=jsonpath='{.status.availableReplicas}'=4 --timeout=15s >/dev/null 2>&1 || fail "not every updated replica is available yet"
r=$(kubectl -n dev get deploy web -o jsonpath='{.status.replicas}')
[ "$r" = 4 ] || fail "$r pods still belong to the Deployment (old ones are terminating); expected 4"
exit 0
