#!/usr/bin/env bash
set -u
fail() { printf '%s\n' "$1" > "${KUBELAB_REASON_FILE:-/dev/stdout}"; exit 1; }
kubectl -n dev get svc shop -o name >/dev/null 2>&1 || fail "Service dev/shop not found"
n=0
for i in 1 2 3 4 5; do
  n=$(kubectl -n dev get endpointslices -l kubernetes.io/service-name=shop -o jsonpath='{range .items[*].endpoints[?(@.conditions.ready==true)]}{.addresses[0]}{"\n"}{end}' | grep -c . || true)
  [ "$n" -ge 1 ] && break; sleep 1
done
[ "$n" -ge 1 ] || fail "Service shop has no ready endpoints: its selector $(kubectl -n dev get svc shop -o jsonpath='{.spec.selector}') matches no ready pod"
body=$(kubectl -n dev run "kl-probe-$RANDOM$RANDOM" --rm -i --restart=Never --quiet --image=busybox:1.36 --labels=kubelab.io/probe=true --command -- sh -c 'timeout 4 wget -qO- http://shop.dev/; exit $?' 2>/dev/null)
case "$body" in *'Welcome to nginx'*) ;; *) fail "Service shop has endpoints, but a pod in dev gets no page from http://shop.dev/: check its port and targetPort";; esac
exit 0
