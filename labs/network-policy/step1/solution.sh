#!/usr/bin/env bash
set -eu
kubectl -n secure apply -f - <<'EOF'
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: db-allow-frontend }
spec:
  podSelector: { matchLabels: { app: db } }
  policyTypes: [Ingress]
  ingress:
  - from: [{ podSelector: { matchLabels: { role: frontend } } }]
    ports: [{ protocol: TCP, port: 80 }]
EOF
