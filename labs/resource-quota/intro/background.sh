#!/usr/bin/env bash
set -eu
# The platform team's budget for namespace budget: a quota on the namespace's total and a
# LimitRange on each container. Then the app team's Deployment, sized without reading either.
kubectl -n budget apply -f - <<'YAML'
apiVersion: v1
kind: ResourceQuota
metadata: { name: compute }
spec:
  hard: { pods: "5", requests.cpu: "1", requests.memory: 1Gi, limits.cpu: "2", limits.memory: 2Gi }
---
apiVersion: v1
kind: LimitRange
metadata: { name: container-limits }
spec:
  limits:
  - type: Container
    min: { cpu: 100m, memory: 64Mi }
    max: { cpu: 500m, memory: 512Mi }
    default: { cpu: 500m, memory: 256Mi }
    defaultRequest: { cpu: 200m, memory: 128Mi }
YAML
kubectl -n budget apply -f - <<'YAML'
apiVersion: apps/v1
kind: Deployment
metadata: { name: api }
spec:
  replicas: 3
  selector: { matchLabels: { app: api } }
  template:
    metadata: { labels: { app: api } }
    spec:
      containers:
      - name: api
        image: nginx:1.27
        resources:
          limits: { cpu: "1", memory: 512Mi }
YAML
