#!/usr/bin/env bash
set -u
fail() { printf '%s\n' "$1" > "${KUBELAB_REASON_FILE:-/dev/stdout}"; exit 1; }
rp=$(kubectl -n dev get pod probe-pod -o jsonpath='{.spec.containers[0].readinessProbe.httpGet.port}' 2>/dev/null) || fail "Pod dev/probe-pod not found"
[ "$rp" = 80 ] || fail "readinessProbe.httpGet.port is '${rp}'; expected 80"
lp=$(kubectl -n dev get pod probe-pod -o jsonpath='{.spec.containers[0].livenessProbe.httpGet.port}')
[ "$lp" = 80 ] || fail "livenessProbe.httpGet.port is '${lp}'; expected 80"
kubectl -n dev wait pod/probe-pod --for=condition=Ready --timeout=15s >/dev/null 2>&1 || fail "pod probe-pod is not Ready: kubectl -n dev describe pod probe-pod shows the probe results"
rc=$(kubectl -n dev get pod probe-pod -o jsonpath='{.status.containerStatuses[0].restartCount}')
[ "$rc" = 0 ] || fail "the container restarted $rc times: the liveness probe fails"
exit 0
