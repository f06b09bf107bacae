#!/usr/bin/env bash
set -u
fail() { printf '%s\n' "$1" > "${KUBELAB_REASON_FILE:-/dev/stdout}"; exit 1; }
# stop|start|status one KubeLab component on this node: systemd on VMs, the supervisor on local nodes.
ctl() {
  if [ -z "${KUBELAB_ROOT:-}" ] && [ -d /run/systemd/system ]; then
    if [ "$1" = status ]; then systemctl is-active "kubelab-$2"; else systemctl "$1" "kubelab-$2"; fi
  else
    "${KUBELAB_NODE_BINARY:-node}" "${KUBELAB_ROOT:-}/var/lib/kubelab/bin/supervisor.mjs" ctl "$1" "$2"
  fi
}
st=$(ctl status scheduler 2>&1)
[ "$st" = active ] || fail "no pod gets a node: the scheduler on the control plane is not running ($st)"
kubectl -n dev wait deploy/web --for=jsonpath='{.status.readyReplicas}'=2 --timeout=20s >/dev/null 2>&1 || fail "$(kubectl -n dev get pods --field-selector=status.phase=Pending -o name | wc -l) pods of web are still Pending"
exit 0
