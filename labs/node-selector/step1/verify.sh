#!/usr/bin/env bash
set -u
fail() { printf '%s\n' "$1" > "${KUBELAB_REASON_FILE:-/dev/stdout}"; exit 1; }
sel=$(kubectl -n dev get pod fast -o jsonpath='{.spec.nodeSelector.disktype}{.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[*].matchExpressions[?(@.key=="disktype")].values[*]}' 2>/dev/null) || fail "pod dev/fast not found"
case "$sel" in *ssd*) ;; *) fail "pod fast has no nodeSelector or node affinity for disktype=ssd";; esac
kubectl -n dev wait pod/fast --for=condition=Ready --timeout=15s >/dev/null 2>&1 || fail "pod fast is not Ready"
n=$(kubectl -n dev get pod fast -o jsonpath='{.spec.nodeName}')
[ "$n" = "$KUBELAB_NODE_W1" ] || fail "pod fast runs on '$n'; expected $KUBELAB_NODE_W1"
exit 0
