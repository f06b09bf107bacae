#!/usr/bin/env bash
set -u
fail() { printf '%s\n' "$1" > "${KUBELAB_REASON_FILE:-/dev/stdout}"; exit 1; }
node=${KUBELAB_NODE_W1:?}
ns=priority
note() { kubectl get namespace $ns -o jsonpath="{.metadata.annotations.kubelab\.dev/$1}" 2>/dev/null; }
want_logger=$(note logger-cpu) want_batch=$(note batch-cpu)
[ -n "$want_logger" ] && [ -n "$want_batch" ] || fail "namespace $ns lost the lab's notes: kubelab lab reset"
hv=$(kubectl get priorityclass high-priority -o jsonpath='{.value}' 2>/dev/null) || fail "no PriorityClass high-priority (step 1)"
# get D FIELD: a field of Deployment D's pod template.
get() { kubectl -n $ns get deploy "$1" -o jsonpath="{.spec.template.spec.$2}" 2>/dev/null; }
kubectl -n $ns get deploy busybox-logger -o name >/dev/null 2>&1 || fail "Deployment busybox-logger not found"
pc=$(get busybox-logger priorityClassName)
[ "$pc" = high-priority ] || fail "busybox-logger's pod template names PriorityClass '${pc:-none}', expected high-priority"
[ "$(get busybox-logger 'containers[0].resources.requests.cpu')" = "$want_logger" ] ||
  fail "busybox-logger requests cpu '$(get busybox-logger 'containers[0].resources.requests.cpu')', the team asked for $want_logger: keep it and let priority make the room"
for d in busybox-logger batch metrics; do
  kubectl -n $ns get deploy $d -o name >/dev/null 2>&1 || fail "Deployment $d is gone: leave batch and metrics alone (kubelab lab reset)"
  [ "$(get $d 'nodeSelector.kubernetes\.io/hostname')" = "$node" ] && [ -z "$(get $d nodeName)" ] ||
    fail "$d must keep running on $node only (its nodeSelector kubernetes.io/hostname)"
done
[ "$(kubectl -n $ns get deploy batch -o jsonpath='{.spec.replicas}')" = 2 ] || fail "batch was scaled: it must keep 2 replicas"
[ "$(get batch 'containers[0].resources.requests.cpu')" = "$want_batch" ] || fail "batch's CPU request was changed: it must stay $want_batch"
[ "$(get batch priorityClassName)" = low-priority ] && [ "$(get metrics priorityClassName)" = medium-priority ] ||
  fail "batch and metrics must keep their classes (low-priority, medium-priority)"
kubectl -n $ns rollout status deploy/busybox-logger --timeout=20s >/dev/null 2>&1 || {
  msg=$(kubectl -n $ns get pods -l app=busybox-logger -o jsonpath='{range .items[?(@.status.phase=="Pending")]}{.status.conditions[?(@.type=="PodScheduled")].message}{"\n"}{end}' | head -1)
  fail "busybox-logger has not rolled out${msg:+: $msg}"
}
pods=$(kubectl -n $ns get pods -l app=busybox-logger -o go-template='{{range .items}}{{if not .metadata.deletionTimestamp}}{{.metadata.uid}} {{.spec.priority}} {{.spec.nodeName}} {{.status.phase}}{{"\n"}}{{end}}{{end}}')
[ -n "$pods" ] || fail "busybox-logger has no pods"
# Who was preempted, and for which pod: the scheduler's Preempted events on the victims.
preempted=$(kubectl -n $ns get events -o jsonpath='{range .items[?(@.reason=="Preempted")]}{.involvedObject.name} {.message}{"\n"}{end}')
while read -r uid prio on phase; do
  [ "$prio" = "$hv" ] || fail "a busybox-logger pod has priority $prio, not high-priority's $hv"
  [ "$phase" = Running ] && [ "$on" = "$node" ] || fail "a busybox-logger pod is $phase on '${on:-no node}', expected Running on $node"
  grep -q "^batch-.* Preempted by pod $uid on node $node\$" <<<"$preempted" ||
    fail "busybox-logger runs, but no batch pod was preempted for it (no Preempted event naming its pod): the room was made by hand; kubelab lab reset and let the scheduler make it"
done <<<"$pods"
[ "$(kubectl -n $ns get deploy metrics -o jsonpath='{.status.readyReplicas}')" = 1 ] || fail "metrics (medium-priority, above high-priority) should still be running"
exit 0
