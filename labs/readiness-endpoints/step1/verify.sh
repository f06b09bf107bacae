#!/usr/bin/env bash
set -u
fail() { printf '%s\n' "$1" > "${KUBELAB_REASON_FILE:-/dev/stdout}"; exit 1; }
kubectl -n store get deploy catalog -o name >/dev/null 2>&1 || fail "Deployment store/catalog not found"
port=$(kubectl -n store get deploy catalog -o jsonpath='{.spec.template.spec.containers[0].readinessProbe.httpGet.port}')
[ -n "$port" ] || fail "catalog has no HTTP readiness probe any more: keep it (httpGet) and make it check a page nginx serves"
r=$(kubectl -n store get deploy catalog -o jsonpath='{.spec.replicas}')
[ "${r:-0}" -ge 2 ] || fail "catalog runs ${r:-0} replicas: keep 2"
n=0
for i in $(seq 1 10); do
  n=$(kubectl -n store get endpointslices -l kubernetes.io/service-name=catalog -o jsonpath='{range .items[*].endpoints[?(@.conditions.ready==true)]}{.addresses[0]}{"\n"}{end}' | grep -c . || true)
  [ "$n" -ge 2 ] && break
  sleep 1
done
[ "$n" -ge 2 ] || fail "Service catalog has $n ready endpoints, expected 2: $(kubectl -n store describe pods -l app=catalog | grep -m1 -o 'Readiness probe failed.*' || echo 'the pods are not Ready yet')"
body=$(kubectl -n store run "kl-probe-$RANDOM$RANDOM" --rm -i --restart=Never --quiet --image=busybox:1.36 --labels=kubelab.io/probe=true --command -- sh -c 'timeout 4 wget -qO- http://catalog.store/; exit $?' 2>/dev/null)
case "$body" in *'Welcome to nginx'*) ;; *) fail "Service catalog has ready endpoints, but http://catalog.store/ returns no page";; esac
exit 0
