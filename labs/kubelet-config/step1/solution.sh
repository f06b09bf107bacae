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
etc="${KUBELAB_ROOT:-}/etc/kubelab"
# The API server's address, as every other component on this node has it.
want=$(awk '$1 == "server:" { print $2; exit }' "$etc/proxy.kubeconfig")
sed -i -E "s#^( *server: ).*#\1$want#" "$etc/kubelet.kubeconfig"
ctl stop kubelet
ctl start kubelet
kubectl wait node "${KUBELAB_NODE_W1:?}" --for=condition=Ready --timeout=90s
