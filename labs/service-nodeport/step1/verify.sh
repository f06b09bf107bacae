#!/usr/bin/env bash
set -u
fail() { printf '%s\n' "$1" > "${KUBELAB_REASON_FILE:-/dev/stdout}"; exit 1; }
t=$(kubectl -n dev get svc web-np -o jsonpath='{.spec.type}' 2>/dev/null) || fail "Service dev/web-np not found"
[ "$t" = NodePort ] || fail "Service web-np has type $t; expected NodePort"
np=$(kubectl -n dev get svc web-np -o jsonpath='{.spec.ports[0].nodePort}')
[ "$np" = 30080 ] || fail "Service web-np uses node port $np; expected 30080"
n=0
for i in 1 2 3 4 5; do
  n=$(kubectl -n dev get endpointslices -l kubernetes.io/service-name=web-np -o jsonpath='{range .items[*].endpoints[?(@.conditions.ready==true)]}{.addresses[0]}{"\n"}{end}' | grep -c . || true)
  [ "$n" -ge 1 ] && break; sleep 1
done
[ "$n" -ge 1 ] || fail "Service web-np has no ready endpoints: its selector $(kubectl -n dev get svc web-np -o jsonpath='{.spec.selector}') matches no pod of web"
exit 0
