#!/usr/bin/env bash
set -u
fail() { printf '%s\n' "$1" > "${KUBELAB_REASON_FILE:-/dev/stdout}"; exit 1; }
u=$(kubectl get node "$KUBELAB_NODE_W1" -o jsonpath='{.spec.unschedulable}')
[ "$u" != true ] || fail "node $KUBELAB_NODE_W1 is still cordoned (spec.unschedulable is true)"
exit 0
