#!/usr/bin/env bash
set -u
fail() { printf '%s\n' "$1" > "${KUBELAB_REASON_FILE:-/dev/stdout}"; exit 1; }
ph=$(kubectl -n dev get pvc data -o jsonpath='{.status.phase}' 2>/dev/null) || fail "PersistentVolumeClaim dev/data not found"
[ "$ph" = Bound ] || fail "claim data is ${ph:-Pending}; expected Bound"
v=$(kubectl -n dev get pvc data -o jsonpath='{.spec.volumeName}')
[ "$v" = lab-pv ] || fail "claim data is bound to '$v'; expected lab-pv"
exit 0
