#!/usr/bin/env bash
set -u
fail() { printf '%s\n' "$1" > "${KUBELAB_REASON_FILE:-/dev/stdout}"; exit 1; }
ip=$(kubectl -n dev get svc db -o jsonpath='{.spec.clusterIP}' 2>/dev/null) || fail "Service dev/db not found"
[ "$ip" = None ] || fail "Service db has clusterIP $ip; expected None (headless)"
sn=$(kubectl -n dev get sts db -o jsonpath='{.spec.serviceName}' 2>/dev/null) || fail "StatefulSet dev/db not found"
[ "$sn" = db ] || fail "StatefulSet db spec.serviceName is '$sn'; expected db"
for i in 0 1 2; do
  kubectl -n dev wait "pod/db-$i" --for=condition=Ready --timeout=15s >/dev/null 2>&1 || fail "pod db-$i is not Ready (yet)"
done
exit 0
