#!/usr/bin/env bash
set -u
fail() { printf '%s\n' "$1" > "${KUBELAB_REASON_FILE:-/dev/stdout}"; exit 1; }
t=$(kubectl -n dev get deploy web -o jsonpath='{.spec.strategy.type}' 2>/dev/null) || fail "Deployment dev/web not found"
[ "$t" = RollingUpdate ] || fail "spec.strategy.type is $t; expected RollingUpdate"
s=$(kubectl -n dev get deploy web -o jsonpath='{.spec.strategy.rollingUpdate.maxSurge}')
u=$(kubectl -n dev get deploy web -o jsonpath='{.spec.strategy.rollingUpdate.maxUnavailable}')
[ "$s" = 1 ] || fail "spec.strategy.rollingUpdate.maxSurge is ${s:-unset}; expected 1"
[ "$u" = 0 ] || fail "spec.strategy.rollingUpdate.maxUnavailable is ${u:-unset}; expected 0"
img=$(kubectl -n dev get deploy web -o jsonpath='{.spec.template.spec.containers[0].image}')
[ "$img" = nginx:1.27 ] || fail "the image is already $img: tune the strategy first, the upgrade is the next step"
exit 0
