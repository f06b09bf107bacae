#!/usr/bin/env bash
set -u
fail() { printf '%s\n' "$1" > "${KUBELAB_REASON_FILE:-/dev/stdout}"; exit 1; }
lp=$(kubectl -n dev get deploy api -o jsonpath='{.spec.template.spec.containers[0].livenessProbe.httpGet.port}' 2>/dev/null) || fail "Deployment dev/api not found"
[ "$lp" = 80 ] || [ "$lp" = http ] || fail "the liveness probe checks port ${lp:-none}, where nothing listens: nginx serves port 80"
kubectl -n dev rollout status deploy/api --timeout=15s >/dev/null 2>&1 || fail "Deployment api has not finished rolling out the fix yet"
sleep 5
for rc in $(kubectl -n dev get pods -l app=api -o go-template='{{range .items}}{{if not .metadata.deletionTimestamp}}{{range .status.containerStatuses}}{{.restartCount}} {{end}}{{end}}{{end}}'); do
  [ "$rc" = 0 ] || fail "a pod of api restarted $rc times since the fix: its liveness probe still fails"
done
r=$(kubectl -n dev get deploy api -o jsonpath='{.status.readyReplicas}')
[ "${r:-0}" -ge 1 ] || fail "no pod of api is Ready"
exit 0
