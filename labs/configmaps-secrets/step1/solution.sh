#!/usr/bin/env bash
set -eu
kubectl -n dev create configmap app-config --from-literal=APP_MODE=prod --dry-run=client -o yaml | kubectl apply -f -
kubectl apply -f - <<'EOF'
apiVersion: v1
kind: Pod
metadata: { name: cfg, namespace: dev }
spec:
  containers:
  - name: app
    image: nginx:1.27
    envFrom: [{ configMapRef: { name: app-config } }]
EOF
kubectl -n dev wait pod/cfg --for=condition=Ready --timeout=60s
