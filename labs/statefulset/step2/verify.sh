#!/usr/bin/env bash
set -u
fail() { printf '%s\n' "$1" > "${KUBELAB_REASON_FILE:-/dev/stdout}"; exit 1; }
t=$(kubectl -n dev get sts db -o jsonpath='{.spec.volumeClaimTemplates[0].metadata.name}' 2>/dev/null) || fail "StatefulSet dev/db not found"
[ "$t" = data ] || fail "StatefulSet db has no volumeClaimTemplate named data (found '${t}')"
mp=$(kubectl -n dev get sts db -o jsonpath='{.spec.template.spec.containers[0].volumeMounts[?(@.name=="data")].mountPath}')
[ "$mp" = /usr/share/nginx/html ] || fail "volume data is mounted at '${mp}'; expected /usr/share/nginx/html"
for i in 0 1 2; do
  ph=$(kubectl -n dev get pvc "data-db-$i" -o jsonpath='{.status.phase}' 2>/dev/null) || fail "claim data-db-$i does not exist yet"
  [ "$ph" = Bound ] || fail "claim data-db-$i is $ph; expected Bound"
done
kubectl -n dev wait sts/db --for=jsonpath='{.status.readyReplicas}'=3 --timeout=20s >/dev/null 2>&1 || fail "$(kubectl -n dev get sts db -o jsonpath='{.status.readyReplicas}') of 3 replicas of db are ready"
exit 0
