#!/usr/bin/env bash
set -eu
kubectl -n dev create secret generic db --from-literal=password=s3cr3t --dry-run=client -o yaml | kubectl apply -f -
kubectl apply -f - <<'EOF'
apiVersion: v1
kind: Pod
metadata: { name: dbc, namespace: dev }
spec:
  volumes: [{ name: db, secret: { secretName: db } }]
  containers:
  - name: app
    image: nginx:1.27
    volumeMounts: [{ name: db, mountPath: /etc/db, readOnly: true }]
EOF
kubectl -n dev wait pod/dbc --for=condition=Ready --timeout=60s
