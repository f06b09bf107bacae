#!/usr/bin/env bash
set -u
fail() { printf '%s\n' "$1" > "${KUBELAB_REASON_FILE:-/dev/stdout}"; exit 1; }
pc=$(kubectl -n prio get deploy batch -o jsonpath='{.spec.template.spec.priorityClassName}' 2>/dev/null) || fail "Deployment prio/batch not found"
[ "$pc" = batch-low ] || fail "Deployment batch now names PriorityClass '${pc}': keep batch-low and create that class instead"
kubectl get priorityclass batch-low -o name >/dev/null 2>&1 || fail "no PriorityClass batch-low: admission refuses every pod of batch (kubectl -n prio describe rs -l app=batch)"
v=$(kubectl get priorityclass batch-low -o jsonpath='{.value}')
[ "$v" = 1000 ] || fail "PriorityClass batch-low has value $v, expected 1000"
[ "$(kubectl get priorityclass batch-low -o jsonpath='{.globalDefault}')" != true ] || fail "batch-low is the global default: every pod without a class would get it"
[ -n "$(kubectl get priorityclass batch-low -o jsonpath='{.description}')" ] || fail "PriorityClass batch-low has no description"
kubectl -n prio rollout status deploy/batch --timeout=20s >/dev/null 2>&1 || fail "batch has $(kubectl -n prio get deploy batch -o jsonpath='{.status.readyReplicas}') of 2 pods ready: the ReplicaSet retries creating them (kubectl -n prio describe rs -l app=batch)"
for p in $(kubectl -n prio get pods -l app=batch -o jsonpath='{range .items[*]}{.spec.priority}{" "}{end}'); do
  [ "$p" = 1000 ] || fail "a batch pod has priority $p, expected 1000"
done
exit 0
