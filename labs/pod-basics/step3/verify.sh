#!/usr/bin/env bash
set -u
fail() { printf '%s\n' "$1" > "${KUBELAB_REASON_FILE:-/dev/stdout}"; exit 1; }
want=$(kubectl -n dev get pod nginx -o jsonpath='{.spec.nodeName}' 2>/dev/null) || fail "Pod dev/nginx not found"
got=$(kubectl -n dev get pod nginx -o jsonpath='{.metadata.labels.node}')
[ -n "$got" ] || fail "pod nginx has no label node yet"
[ "$got" = "$want" ] || fail "label node is '$got', but describe shows the pod on another node"
exit 0
