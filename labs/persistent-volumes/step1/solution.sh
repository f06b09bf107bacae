#!/usr/bin/env bash
set -eu
kubectl apply -f - <<'EOF'
apiVersion: v1
kind: PersistentVolume
metadata: { name: lab-pv, labels: { kubelab.dev/lab: persistent-volumes } }
spec: { capacity: { storage: 1Gi }, accessModes: [ReadWriteOnce], storageClassName: manual, hostPath: { path: /tmp/lab-pv } }
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: { name: data, namespace: dev }
spec: { accessModes: [ReadWriteOnce], storageClassName: manual, resources: { requests: { storage: 1Gi } } }
EOF
kubectl -n dev wait pvc/data --for=jsonpath='{.status.phase}'=Bound --timeout=20s
