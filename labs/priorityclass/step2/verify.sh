#!/usr/bin/env bash
set -u
fail() { printf '%s\n' "$1" > "${KUBELAB_REASON_FILE:-/dev/stdout}"; exit 1; }
kubectl get priorityclass business-critical -o name >/dev/null 2>&1 || fail "no PriorityClass business-critical"
v=$(kubectl get priorityclass business-critical -o jsonpath='{.value}')
[ "$v" = 1000000 ] || fail "PriorityClass business-critical has value $v, expected 1000000"
[ "$(kubectl get priorityclass business-critical -o jsonpath='{.globalDefault}')" != true ] || fail "business-critical is the global default: every pod without a class would get it"
[ -n "$(kubectl get priorityclass business-critical -o jsonpath='{.description}')" ] || fail "PriorityClass business-critical has no description"
pc=$(kubectl -n prio get deploy payments -o jsonpath='{.spec.template.spec.priorityClassName}' 2>/dev/null) || fail "Deployment prio/payments not found"
[ "$pc" = business-critical ] || fail "Deployment payments names PriorityClass '${pc:-none}', expected business-critical"
kubectl -n prio rollout status deploy/payments --timeout=20s >/dev/null 2>&1 || fail "payments has not finished rolling out with the new class"
ps=$(kubectl -n prio get pods -l app=payments -o go-template='{{range .items}}{{if not .metadata.deletionTimestamp}}{{.spec.priority}} {{end}}{{end}}')
[ -n "$ps" ] || fail "payments has no pods"
for p in $ps; do [ "$p" = 1000000 ] || fail "a payments pod has priority $p, expected 1000000: old pods keep theirs until replaced"; done
exit 0
