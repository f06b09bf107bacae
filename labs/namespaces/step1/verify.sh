#!/usr/bin/env bash
set -u
fail() { printf '%s\n' "$1" > "${KUBELAB_REASON_FILE:-/dev/stdout}"; exit 1; }
phase=$(kubectl get namespace team-a -o jsonpath='{.status.phase}' 2>/dev/null) || fail "namespace team-a not found"
[ "$phase" = Active ] || fail "namespace team-a is $phase; expected Active"
team=$(kubectl get namespace team-a -o jsonpath='{.metadata.labels.team}')
[ "$team" = a ] || fail "label team on namespace team-a is '${team}'; expected a"
exit 0
