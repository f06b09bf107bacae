#!/usr/bin/env bash
set -eu
kubectl apply -f - <<'EOF'
apiVersion: apps/v1
kind: DaemonSet
metadata: { name: node-monitor, namespace: dev }
spec:
  selector: { matchLabels: { app: node-monitor } }
  template:
    metadata: { labels: { app: node-monitor } }
    spec:
      containers: [{ name: mon, image: "busybox:1.36", command: [sleep, "3600"] }]
EOF
kubectl -n dev rollout status ds/node-monitor --timeout=30s
