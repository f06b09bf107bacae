#!/usr/bin/env bash
set -u
fail() { printf '%s\n' "$1" > "${KUBELAB_REASON_FILE:-/dev/stdout}"; exit 1; }
sch=$(kubectl -n dev get cronjob hello -o jsonpath='{.spec.schedule}' 2>/dev/null) || fail "CronJob dev/hello not found"
[ "$sch" = "*/1 * * * *" ] || [ "$sch" = "* * * * *" ] || fail "schedule is '$sch'; expected */1 * * * *"
[ "$(kubectl -n dev get cronjob hello -o jsonpath='{.spec.suspend}')" != true ] || fail "CronJob hello is suspended"
created=$(kubectl -n dev get cronjob hello -o jsonpath='{.metadata.creationTimestamp}')
age=$(( $(date +%s) - $(date -d "$created" +%s) ))
if [ "$age" -ge 70 ]; then
  [ -n "$(kubectl -n dev get cronjob hello -o jsonpath='{.status.lastScheduleTime}')" ] || fail "CronJob hello is ${age}s old and has never run"
fi
exit 0
