#!/usr/bin/env bash
set -u
fail() { printf '%s\n' "$1" > "${KUBELAB_REASON_FILE:-/dev/stdout}"; exit 1; }
# The node holding each leader Lease (holderIdentity is NODE_uuid), one "lease node" per line.
holders() {
  for l in kube-scheduler kube-controller-manager; do
    id=$(kubectl -n kube-system get lease "$l" -o jsonpath="{.spec.holderIdentity}" 2>/dev/null)
    echo "$l ${id%_*}"
  done
}
node=${KUBELAB_NODE_CP2:?}
ip=${KUBELAB_NODE_CP2_IP:?}
for n in $(kubectl get nodes -l node-role.kubernetes.io/control-plane -o jsonpath='{.items[*].metadata.name}'); do
  [ "$(kubectl get node "$n" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}')" = True ] || fail "control-plane node $n is not Ready yet"
done
kubectl --server "https://$ip:6443" --request-timeout=5s get --raw /readyz >/dev/null 2>&1 ||
  fail "the API server on cp2 ($node, $ip) does not answer /readyz yet: start etcd and the apiserver there"
# Its etcd member is back in the cluster and caught up: every member healthy.
health=$(. "${KUBELAB_ROOT:-}/etc/kubelab/etcdctl.env" && etcdctl endpoint health --cluster 2>&1)
if grep -q unhealthy <<<"$health" || ! grep -q "https://$ip:2379 is healthy" <<<"$health"; then
  fail "etcd is not healthy on every member: $(grep -m1 -v ' is healthy' <<<"$health")"
fi
while read -r lease holder; do
  [ -n "$holder" ] && [ "$(kubectl get node "$holder" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}')" = True ] ||
    fail "lease $lease is held by '$holder', not a Ready node"
done < <(holders)
exit 0
