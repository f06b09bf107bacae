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
etc="${KUBELAB_ROOT:-}/etc/kubelab"
kc="$etc/kubelet.kubeconfig"
want=$(awk '$1 == "server:" { print $2; exit }' "$etc/proxy.kubeconfig")
have=$(awk '$1 == "server:" { print $2; exit }' "$kc" 2>/dev/null)
[ -n "$have" ] || fail "the kubelet's kubeconfig ($kc) has no server: line"
[ "$have" = "$want" ] || fail "the kubelet on w1 still connects to $have, where no API server listens (its log says connection refused)"
st=$(ctl status kubelet 2>&1)
[ "$st" = active ] || fail "the kubelet on w1 is not running ($st): see its log"
# A kubelet started with the wrong address never renews the node's Lease, so a renewal after
# the kubeconfig was last written proves the kubelet runs with the fix (it was restarted).
fixed=$(stat -c %Y "$kc")
renewed=0
for i in $(seq 1 30); do
  rt=$(kubectl -n kube-node-lease get lease "$node" -o jsonpath='{.spec.renewTime}' 2>/dev/null)
  renewed=$(date -d "$rt" +%s 2>/dev/null || echo 0)
  ready=$(kubectl get node "$node" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}')
  [ "$renewed" -ge "$fixed" ] && [ "$ready" = True ] && exit 0
  sleep 1
done
[ "$renewed" -ge "$fixed" ] || fail "the kubeconfig is right now, but the kubelet has not reported since it was edited: it reads the file only when it starts, so restart it (or wait for its next automatic restart)"
fail "node $node reports Ready=$ready: the kubelet runs and reports, but the node is not Ready yet"
