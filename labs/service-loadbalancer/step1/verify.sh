#!/usr/bin/env bash
set -u
fail() { printf '%s\n' "$1" > "${KUBELAB_REASON_FILE:-/dev/stdout}"; exit 1; }
# Fetch a URL from a throwaway busybox pod in namespace $1 (extra pod labels in $3); prints the body.
probe() {
  kubectl -n "$1" run "kl-probe-$RANDOM$RANDOM" --rm -i --restart=Never --quiet --image=busybox:1.36 \
    --labels="kubelab.io/probe=true${3:+,$3}" --command -- sh -c 'timeout 4 wget -qO- "$0"; exit $?' "$2" 2>/dev/null
}
t=$(kubectl -n dev get svc web-lb -o jsonpath='{.spec.type}' 2>/dev/null) || fail "Service dev/web-lb not found"
[ "$t" = LoadBalancer ] || fail "Service web-lb has type $t; expected LoadBalancer"
ip=""
for i in 1 2 3 4 5 6; do
  ip=$(kubectl -n dev get svc web-lb -o jsonpath='{.status.loadBalancer.ingress[0].ip}')
  [ -n "$ip" ] && break; sleep 1
done
[ -n "$ip" ] || fail "Service web-lb has no external address yet (status.loadBalancer.ingress is empty)"
probe dev "http://$ip/" | grep -q 'Welcome to nginx' || fail "http://$ip/ (the external address of web-lb) does not answer with web's page: check the selector and port"
exit 0
