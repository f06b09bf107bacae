#!/usr/bin/env bash
set -eu
kubectl apply -f - <<'EOF'
apiVersion: v1
kind: PersistentVolumeClaim
metadata: { name: cache, namespace: dev }
spec: { accessModes: [ReadWriteOnce], resources: { requests: { storage: 1Gi } } }
---
apiVersion: v1
kind: Pod
metadata: { name: writer, namespace: dev }
spec:
  volumes: [{ name: d, persistentVolumeClaim: { claimName: cache } }]
  containers: [{ name: w, image: "busybox:1.36", command: [sleep, "3600"], volumeMounts: [{ name: d, mountPath: /data }] }]
EOF
kubectl -n dev wait pvc/cache --for=jsonpath='{.status.phase}'=Bound --timeout=20s
