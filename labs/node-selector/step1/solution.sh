#!/usr/bin/env bash
set -eu
kubectl apply -f - <<'EOF'
apiVersion: v1
kind: Pod
metadata: { name: fast, namespace: dev }
spec:
  nodeSelector: { disktype: ssd }
  containers: [{ name: app, image: "nginx:1.27" }]
EOF
