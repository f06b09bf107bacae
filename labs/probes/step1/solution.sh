#!/usr/bin/env bash
set -eu
kubectl -n dev apply -f - <<'EOF'
apiVersion: v1
kind: Pod
metadata: { name: probe-pod }
spec:
  containers:
  - name: web
    image: nginx:1.27
    readinessProbe: { httpGet: { path: /, port: 80 }, periodSeconds: 2 }
    livenessProbe: { httpGet: { path: /, port: 80 }, periodSeconds: 5 }
EOF
kubectl -n dev wait pod/probe-pod --for=condition=Ready --timeout=60s
