#!/usr/bin/env bash
set -u
fail() { printf '%s\n' "$1" > "${KUBELAB_REASON_FILE:-/dev/stdout}"; exit 1; }
# Fetch a URL from a throwaway busybox pod in namespace $1 (extra pod labels in $3); prints the body.
probe() {
  kubectl -n "$1" run "kl-probe-$RANDOM$RANDOM" --rm -i --restart=Never --quiet --image=busybox:1.36 \
    --labels="kubelab.io/probe=true${3:+,$3}" --command -- sh -c 'timeout 4 wget -qO- "$0"; exit $?' "$2" 2>/dev/null
}
t=$(kubectl -n dev get svc web-svc -o jsonpath='{.spec.type}' 2>/dev/null) || fail "Service dev/web-svc not found"
[ "$t" = ClusterIP ] || fail "Service web-svc has type $t; expected ClusterIP"
p=$(kubectl -n dev get svc web-svc -o jsonpath='{.spec.ports[0].port}')
[ "$p" = 80 ] || fail "Service web-svc listens on port $p; expected 80"
n=0
for i in 1 2 3 4 5 6; do
  n=$(kubectl -n dev get endpointslices -l kubernetes.io/service-name=web-svc -o jsonpath='{range .items[*].endpoints[?(@.conditions.ready==true)]}{.addresses[0]}{"\n"}{end}' | grep -c . || true)
  [ "$n" -ge 2 ] && break; sleep 1
done
[ "$n" -ge 2 ] || fail "Service web-svc has $n ready endpoints; expected 2 (does its selector match the pods of web?)"
probe dev http://web-svc.dev/ | grep -q 'Welcome to nginx' || fail "a pod in dev could not fetch http://web-svc.dev/ (check the Service's targetPort)"
exit 0
