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
kc="${KUBELAB_ROOT:-}/etc/kubelab/kubelet.kubeconfig"
# The good file, kept outside /etc/kubelab for cleanup.sh: leaving the lab restores the node.
keep="${KUBELAB_ROOT:-}/var/lib/kubelab/lab-kubelet-config"
mkdir -p "$keep"
[ -f "$keep/kubelet.kubeconfig" ] || cp -p "$kc" "$keep/kubelet.kubeconfig"
# The mistake: the API server's port 6443 typed as 6433, where nothing listens.
sed -i -E 's#^( *server: https://[^ ]+):6443 *$#\1:6433#' "$kc"
grep -q 'server: https://.*:6433$' "$kc" || { echo "could not find the API server's address (port 6443) in $kc" >&2; exit 1; }
ctl stop kubelet
# A kubelet that cannot reach the API server may exit and be restarted: "activating" is fine here.
ctl start kubelet || true
