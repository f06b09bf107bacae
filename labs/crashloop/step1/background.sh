#!/usr/bin/env bash
set -eu
kubectl -n dev apply -f - <<'EOF'
apiVersion: apps/v1
kind: Deployment
metadata: { name: worker }
spec:
  replicas: 1
  selector: { matchLabels: { app: worker } }
  template:
    metadata: { labels: { app: worker } }
    spec:
      containers:
      - name: worker
        image: busybox:1.36
        command: [sh, -c, 'if [ -z "$MODE" ]; then echo "error: environment variable MODE is not set (expected e.g. MODE=prod)"; exit 1; fi; echo "worker running in $MODE mode"; exec httpd -f -p 80 -h /var/www']
EOF
