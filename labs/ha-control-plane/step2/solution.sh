#!/usr/bin/env bash
set -eu
# stop|start|status one KubeLab component on this node: systemd on VMs, the supervisor on local nodes.
ctl() {
  if [ -z "${KUBELAB_ROOT:-}" ] && [ -d /run/systemd/system ]; then
    if [ "$1" = status ]; then systemctl is-active "kubelab-$2"; else systemctl "$1" "kubelab-$2"; fi
  else
    "${KUBELAB_NODE_BINARY:-node}" "${KUBELAB_ROOT:-}/var/lib/kubelab/bin/supervisor.mjs" ctl "$1" "$2"
  fi
}
# etcd first: the API server on cp2 talks to its own member.
for c in etcd apiserver scheduler controller-manager kubelet; do ctl start "$c"; done
kubectl wait node "${KUBELAB_NODE_CP2:?}" --for=condition=Ready --timeout=120s
