#!/usr/bin/env bash
set -eu
kubectl -n dev apply -f - <<'YAML'
apiVersion: apps/v1
kind: Deployment
metadata: { name: web }
spec:
  replicas: 2
  selector: { matchLabels: { app: web } }
  template:
    metadata: { labels: { app: web } }
    spec:
      containers:
      - name: web
        image: ngnix:1.27
        ports: [{ containerPort: 80 }]
YAML
