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
eps=$(kubectl -n kube-system get endpointslices -l kubernetes.io/service-name=kube-dns -o jsonpath='{.items[*].endpoints[*].addresses[*]}')
[ -n "$eps" ] || fail "Service kube-system/kube-dns (10.96.0.10, every pod's nameserver) has no endpoints: no DNS server answers"
st=$(ctl status dns 2>&1)
[ "$st" = active ] || fail "the DNS server on the control-plane node is not running ($st)"
# The client asks every 2 s: its newest lines must be answers again.
for i in $(seq 1 10); do
  kubectl -n shop logs client --tail=1 2>/dev/null | grep -q 'api v1' && exit 0
  sleep 1
done
fail "names still do not resolve in pod client: its last line is '$(kubectl -n shop logs client --tail=1 2>&1)'"
