#!/usr/bin/env bash
set -eu
kubectl -n dev apply -f - <<'YAML'
apiVersion: apps/v1
kind: Deployment
metadata: { name: report }
spec:
  replicas: 1
  selector: { matchLabels: { app: report } }
  template:
    metadata: { labels: { app: report } }
    spec:
      initContainers:
      - name: render
        image: busybox:1.63
        command: [sh, -c, 'echo "<h1>Daily report</h1>" > /html/index.html']
        volumeMounts: [{ name: html, mountPath: /html }]
      containers:
      - name: web
        image: nginx:1.27
        ports: [{ containerPort: 80 }]
        volumeMounts: [{ name: html, mountPath: /usr/share/nginx/html }]
      volumes:
      - name: html
        emptyDir: {}
YAML
