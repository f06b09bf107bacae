#!/usr/bin/env bash
set -u
fail() { printf '%s\n' "$1" > "${KUBELAB_REASON_FILE:-/dev/stdout}"; exit 1; }
img=$(kubectl -n dev get pod nginx -o jsonpath='{.spec.containers[0].image}' 2>/dev/null) || fail "Pod dev/nginx not found: create it with kubectl run"
[ "$img" = nginx:1.27 ] || fail "pod nginx runs image $img; expected nginx:1.27"
kubectl -n dev wait pod/nginx --for=condition=Ready --timeout=15s >/dev/null 2>&1 || fail "pod nginx is not Ready yet (phase $(kubectl -n dev get pod nginx -o jsonpath='{.status.phase}'))"
kubectl -n dev exec nginx -- wget -qO- http://localhost/ 2>/dev/null | grep -q 'Welcome to nginx' || fail "pod nginx is Ready but does not answer HTTP on port 80"
exit 0
