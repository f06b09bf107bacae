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
for i in $(seq 1 90); do
  on=$(kubectl -n dev get pods -l app=web -o jsonpath='{range .items[?(@.status.phase=="Running")]}{.spec.nodeName}{"\n"}{end}' | grep -c -x "$node" || true)
  [ "$on" = 0 ] && break; sleep 1
done
kubectl -n dev wait deploy/web --for=jsonpath='{.status.readyReplicas}'=2 --timeout=60s
