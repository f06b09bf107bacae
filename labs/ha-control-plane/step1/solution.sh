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
# The node holding each leader Lease (holderIdentity is NODE_uuid), one "lease node" per line.
holders() {
  for l in kube-scheduler kube-controller-manager; do
    id=$(kubectl -n kube-system get lease "$l" -o jsonpath="{.spec.holderIdentity}" 2>/dev/null)
    echo "$l ${id%_*}"
  done
}
node=${KUBELAB_NODE_CP2:?}
# Everything that makes cp2 a control-plane node, as if it had crashed.
for c in kubelet controller-manager scheduler apiserver etcd; do ctl stop "$c"; done
# The node controller marks it NotReady ~40 s after its last heartbeat; a lease it held
# expires 15 s after its last renewal and a standby on another node takes it.
kubectl wait node "$node" --for=condition=Ready=Unknown --timeout=120s
for i in $(seq 1 60); do
  holders | awk -v n="$node" '$2 == "" || $2 == n { bad = 1 } END { exit bad }' && break
  sleep 2
done
holders
