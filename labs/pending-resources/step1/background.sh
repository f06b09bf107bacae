#!/usr/bin/env bash
set -eu
cat <<'EOF' | kubectl apply -f -
apiVersion: apps/v1
kind: Deployment
metadata: {name: report, namespace: dev}
spec:
  replicas: 1
  selector: {matchLabels: {app: report}}
  template:
    metadata: {labels: {app: report}}
    spec:
      containers:
      - name: report
        image: nginx:1.27
        resources:
          requests: {cpu: "64", memory: 64Mi}
EOF
