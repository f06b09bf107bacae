#!/usr/bin/env bash
set -u
fail() { printf '%s\n' "$1" > "${KUBELAB_REASON_FILE:-/dev/stdout}"; exit 1; }
s=$(kubectl -n dev get ds node-monitor -o jsonpath='{.status.desiredNumberScheduled}/{.status.numberReady}' 2>/dev/null) || fail "DaemonSet dev/node-monitor not found"
IFS=/ read -r want ready <<<"$s"
workers=$(kubectl get nodes -o jsonpath='{range .items[*]}{.metadata.labels.node-role\.kubernetes\.io/control-plane}|{.spec.taints}{"\n"}{end}' | grep -c '^|$' || true)
[ "${want:-0}" -ge "$workers" ] || fail "node-monitor is wanted on ${want:-0} nodes; expected every one of the $workers untainted workers"
[ "${ready:-0}" = "${want:-0}" ] || fail "${ready:-0} of ${want:-0} node-monitor pods are ready"
exit 0
