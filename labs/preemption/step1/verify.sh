#!/usr/bin/env bash
set -u
fail() { printf '%s\n' "$1" > "${KUBELAB_REASON_FILE:-/dev/stdout}"; exit 1; }
v=$(kubectl get priorityclass high-priority -o jsonpath='{.value}' 2>/dev/null) || fail "no PriorityClass high-priority yet (kubectl get priorityclasses)"
for c in low-priority medium-priority; do
  kubectl get priorityclass "$c" -o name >/dev/null 2>&1 || fail "PriorityClass $c is gone: the lab's classes must stay (kubelab lab reset to get them back)"
done
max=$(kubectl get priorityclasses -o jsonpath='{range .items[*]}{.metadata.name} {.value}{"\n"}{end}' |
  awk '$1 != "high-priority" && $1 !~ /^system-/ && $2 <= 1000000000 { if (m == "" || $2 > m) m = $2 } END { print m }')
[ "$v" = $((max - 1)) ] || fail "high-priority has value $v: the highest user-defined class has $max (system- classes do not count), so one less is $((max - 1))"
[ "$(kubectl get priorityclass high-priority -o jsonpath='{.globalDefault}')" != true ] || fail "high-priority is the global default: every pod without a class would get it"
[ "$(kubectl get priorityclass high-priority -o jsonpath='{.preemptionPolicy}')" != Never ] ||
  fail "high-priority has preemptionPolicy Never: its pods would wait for room instead of making it"
exit 0
