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
node=${KUBELAB_NODE_W1:?}
ready=$(kubectl get node "$node" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}')
[ "$ready" != True ] || fail "node w1 ($node) is still Ready: stop its kubelet, then wait about 40 s"
on=$(kubectl -n dev get pods -l app=web --no-headers -o custom-columns=NODE:.spec.nodeName,PHASE:.status.phase,DELETED:.metadata.deletionTimestamp | awk -v n="$node" '$1 == n && $2 == "Running" && $3 == "<none>"' | wc -l | tr -d ' ')
[ "$on" = 0 ] || fail "$on pod(s) of web still run on $node and are not being evicted: wait for the eviction (about 5 s after the node turns NotReady)"
kubectl -n dev wait deploy/web --for=jsonpath='{.status.readyReplicas}'=2 --timeout=15s >/dev/null 2>&1 || fail "web has $(kubectl -n dev get deploy web -o jsonpath='{.status.readyReplicas}') of 2 replicas ready on the remaining nodes: wait a little"
exit 0
