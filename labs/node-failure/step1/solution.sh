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
ctl stop kubelet
node=${KUBELAB_NODE_W1:?}
kubectl wait node "$node" --for=condition=Ready=Unknown --timeout=120s
# Evicted pods stay Terminating on the dead node (no kubelet confirms they stopped): count live ones.
for i in $(seq 1 90); do
  on=$(kubectl -n dev get pods -l app=web --no-headers -o custom-columns=NODE:.spec.nodeName,PHASE:.status.phase,DELETED:.metadata.deletionTimestamp | awk -v n="$node" '$1 == n && $2 == "Running" && $3 == "<none>"' | wc -l | tr -d ' ')
  [ "$on" = 0 ] && break; sleep 1
done
kubectl -n dev wait deploy/web --for=jsonpath='{.status.readyReplicas}'=2 --timeout=60s
