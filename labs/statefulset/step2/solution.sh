#!/usr/bin/env bash
set -eu
if [ "$(kubectl -n dev get sts db -o jsonpath='{.spec.volumeClaimTemplates[0].metadata.name}' 2>/dev/null)" != data ]; then
  kubectl -n dev delete sts db --ignore-not-found --wait=true --timeout=60s
fi
kubectl apply -f - <<'EOF'
apiVersion: apps/v1
kind: StatefulSet
metadata: { name: db, namespace: dev }
spec:
  serviceName: db
  replicas: 3
  selector: { matchLabels: { app: db } }
  template:
    metadata: { labels: { app: db } }
    spec:
      containers:
      - name: db
        image: nginx:1.27
        volumeMounts: [{ name: data, mountPath: /usr/share/nginx/html }]
  volumeClaimTemplates:
  - metadata: { name: data }
    spec: { accessModes: [ReadWriteOnce], resources: { requests: { storage: 1Gi } } }
EOF
kubectl -n dev rollout status sts/db --timeout=120s
