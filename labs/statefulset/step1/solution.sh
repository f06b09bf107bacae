#!/usr/bin/env bash
set -eu
kubectl apply -f - <<'EOF'
apiVersion: v1
kind: Service
metadata: { name: db, namespace: dev }
spec: { clusterIP: None, selector: { app: db }, ports: [{ port: 80 }] }
---
apiVersion: apps/v1
kind: StatefulSet
metadata: { name: db, namespace: dev }
spec:
  serviceName: db
  replicas: 3
  selector: { matchLabels: { app: db } }
  template:
    metadata: { labels: { app: db } }
    spec: { containers: [{ name: db, image: "nginx:1.27" }] }
EOF
kubectl -n dev rollout status sts/db --timeout=40s
