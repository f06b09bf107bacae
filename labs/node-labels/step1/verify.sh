#!/usr/bin/env bash
set -u
fail() { printf '%s\n' "$1" > "${KUBELAB_REASON_FILE:-/dev/stdout}"; exit 1; }
v=$(kubectl get node "$KUBELAB_NODE_W1" -o jsonpath='{.metadata.labels.disktype}')
[ "$v" = ssd ] || fail "label disktype on node $KUBELAB_NODE_W1 is '${v}'; expected ssd"
exit 0
