#!/usr/bin/env bash
set -u
fail() { printf '%s\n' "$1" > "${KUBELAB_REASON_FILE:-/dev/stdout}"; exit 1; }
m=$(kubectl -n dev get pdb web-pdb -o jsonpath='{.spec.minAvailable}' 2>/dev/null) || fail "PodDisruptionBudget dev/web-pdb not found"
[ "$m" = 2 ] || fail "web-pdb minAvailable is '${m}'; expected 2"
s=$(kubectl -n dev get pdb web-pdb -o jsonpath='{.spec.selector.matchLabels.app}')
[ "$s" = web ] || fail "web-pdb selects app=$s; expected app=web"
exit 0
