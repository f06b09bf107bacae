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
# Replayed by reset after step 1's background: this step starts with cluster DNS running.
ctl start dns
kubectl -n shop apply -f - <<'YAML'
apiVersion: apps/v1
kind: Deployment
metadata: { name: report }
spec:
  replicas: 1
  selector: { matchLabels: { app: report } }
  template:
    metadata: { labels: { app: report } }
    spec:
      dnsPolicy: Default
      containers:
      - name: report
        image: busybox:1.36
        command: [sh, -c, 'trap "exit 0" TERM; while true; do timeout 10 wget -qO- http://api.shop.svc.cluster.local/ 2>&1 || echo no answer from api; sleep 2; done']
YAML
kubectl -n shop rollout status deploy/report --timeout=60s
