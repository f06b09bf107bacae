#!/usr/bin/env bash
set -eu
kubectl -n logging apply -f - <<'YAML'
apiVersion: v1
kind: Pod
metadata: { name: app, labels: { app: app } }
spec:
  containers:
  - name: app
    image: busybox:1.36
    command: [sh, -c, 'trap "exit 0" TERM; mkdir -p /var/log/app; i=0; while true; do i=$((i+1)); echo "$(date) order $i processed" >> /var/log/app/app.log; sleep 2; done']
YAML
kubectl -n logging wait pod/app --for=condition=Ready --timeout=60s
