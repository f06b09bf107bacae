#!/usr/bin/env bash
set -eu
kubectl -n prio apply -f - <<'YAML'
apiVersion: apps/v1
kind: Deployment
metadata: { name: batch }
spec:
  replicas: 2
  selector: { matchLabels: { app: batch } }
  template:
    metadata: { labels: { app: batch } }
    spec:
      priorityClassName: batch-low
      containers: [{ name: worker, image: nginx:1.27 }]
---
apiVersion: apps/v1
kind: Deployment
metadata: { name: payments }
spec:
  replicas: 2
  selector: { matchLabels: { app: payments } }
  template:
    metadata: { labels: { app: payments } }
    spec:
      containers: [{ name: api, image: nginx:1.27 }]
YAML
kubectl -n prio rollout status deploy/payments --timeout=60s
