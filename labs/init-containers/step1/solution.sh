#!/usr/bin/env bash
set -eu
kubectl -n dev apply -f - <<'EOF'
apiVersion: v1
kind: Pod
metadata: { name: init-demo }
spec:
  volumes: [{ name: html, emptyDir: {} }]
  initContainers:
  - name: write
    image: busybox:1.36
    command: [sh, -c, 'echo hello from init > /work/index.html']
    volumeMounts: [{ name: html, mountPath: /work }]
  containers:
  - name: web
    image: nginx:1.27
    volumeMounts: [{ name: html, mountPath: /usr/share/nginx/html }]
EOF
kubectl -n dev wait pod/init-demo --for=condition=Ready --timeout=60s
