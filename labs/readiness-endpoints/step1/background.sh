#!/usr/bin/env bash
set -eu
kubectl -n store apply -f - <<'YAML'
apiVersion: apps/v1
kind: Deployment
metadata: { name: catalog }
spec:
  replicas: 2
  selector: { matchLabels: { app: catalog } }
  template:
    metadata: { labels: { app: catalog } }
    spec:
      containers:
      - name: web
        image: nginx:1.27
        ports: [{ containerPort: 80 }]
        readinessProbe: { httpGet: { path: /healthz, port: 80 }, periodSeconds: 2 }
YAML
kubectl -n store create service clusterip catalog --tcp=80:80 --dry-run=client -o yaml | kubectl apply -f -
# Running, never Ready: what the learner finds.
kubectl -n store wait pods -l app=catalog --for=jsonpath='{.status.phase}'=Running --timeout=60s
