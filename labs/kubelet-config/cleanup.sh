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
# Puts back the kubeconfig the lab broke (kept by the step's background) and restarts the kubelet with it.
kc="${KUBELAB_ROOT:-}/etc/kubelab/kubelet.kubeconfig"
keep="${KUBELAB_ROOT:-}/var/lib/kubelab/lab-kubelet-config"
[ -f "$keep/kubelet.kubeconfig" ] || exit 0
if ! cmp -s "$keep/kubelet.kubeconfig" "$kc"; then
  cp -p "$keep/kubelet.kubeconfig" "$kc"
  ctl stop kubelet
  ctl start kubelet
fi
rm -rf "$keep"
