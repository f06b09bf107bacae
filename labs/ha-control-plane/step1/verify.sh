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
# The node holding each leader Lease (holderIdentity is NODE_uuid), one "lease node" per line.
holders() {
  for l in kube-scheduler kube-controller-manager; do
    id=$(kubectl -n kube-system get lease "$l" -o jsonpath="{.spec.holderIdentity}" 2>/dev/null)
    echo "$l ${id%_*}"
  done
}
node=${KUBELAB_NODE_CP2:?}
ip=${KUBELAB_NODE_CP2_IP:?}
# cp2 is down: its API server and etcd member do not answer, its kubelet reports nothing.
if kubectl --server "https://$ip:6443" --request-timeout=3s get --raw /readyz >/dev/null 2>&1; then
  fail "the API server on cp2 ($node, $ip) still answers: stop cp2's services (kubelet, controller-manager, scheduler, apiserver, etcd)"
fi
for c in etcd kubelet; do
  ctl status "$c" >/dev/null 2>&1 && fail "$c still runs on cp2 ($node): stop it too, as if the machine had died"
done
ready=$(kubectl get node "$node" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}')
[ "$ready" != True ] || fail "node $node is still Ready: the node controller marks it NotReady about 40 s after its kubelet's last heartbeat; check again"
# The cluster keeps serving through its endpoint: a write needs etcd's quorum (2 of 3).
out=$(kubectl -n ha create configmap "written-while-cp2-down-${KUBELAB_ATTEMPT:-0}" --from-literal=at="$(date -u +%FT%TZ)" 2>&1) ||
  kubectl -n ha get configmap "written-while-cp2-down-${KUBELAB_ATTEMPT:-0}" -o name >/dev/null 2>&1 ||
  fail "a write through the cluster endpoint failed: $out"
while read -r lease holder; do
  [ -n "$holder" ] || fail "lease $lease has no holder: a standby on another control plane takes it within seconds; check again"
  [ "$holder" != "$node" ] || fail "lease $lease is still held by $node, which is down: it expires 15 s after its last renewal, then a standby on another control plane takes it; check again"
  [ "$(kubectl get node "$holder" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}')" = True ] ||
    fail "lease $lease is held by $holder, which is not Ready"
done < <(holders)
exit 0
