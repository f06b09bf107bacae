#!/usr/bin/env bash
set -u
fail() { printf '%s\n' "$1" > "${KUBELAB_REASON_FILE:-/dev/stdout}"; exit 1; }
host=$(kubectl -n dev get ingress web -o jsonpath='{.spec.rules[0].host}' 2>/dev/null) || fail "Ingress dev/web not found"
[ "$host" = web.lab.test ] || fail "Ingress web routes host '$host'; expected web.lab.test"
svc=$(kubectl -n dev get ingress web -o jsonpath='{.spec.rules[0].http.paths[0].backend.service.name}')
[ "$svc" = web ] || fail "Ingress web sends traffic to Service '$svc'; expected web"
lb=""
for i in 1 2 3 4 5 6; do lb=$(kubectl -n dev get ingress web -o jsonpath='{.status.loadBalancer.ingress[0].ip}'); [ -n "$lb" ] && break; sleep 1; done
[ -n "$lb" ] || fail "Ingress web has no address yet (status.loadBalancer.ingress is empty): is its class served by the cluster's controller?"
ip=${KUBELAB_NODE_W1_IP:-$lb}
body=$(kubectl -n dev run "kl-probe-$RANDOM$RANDOM" --rm -i --restart=Never --quiet --image=busybox:1.36 --labels=kubelab.io/probe=true --command -- sh -c 'timeout 4 wget -qO- --header "Host: web.lab.test" "$0"; exit $?' "http://$ip/" 2>/dev/null)
case "$body" in *'Welcome to nginx'*) ;; *) fail "http://$ip/ with Host: web.lab.test does not answer with web's page";; esac
exit 0
