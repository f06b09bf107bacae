#!/usr/bin/env bash
set -eu
kubectl taint node "$KUBELAB_NODE_W2" dedicated=infra:NoSchedule --overwrite
kubectl apply -f - <<EOF
apiVersion: v1
kind: Pod
metadata: { name: infra, namespace: dev }
spec:
  nodeSelector: { kubernetes.io/hostname: "$KUBELAB_NODE_W2" }
  tolerations: [{ key: dedicated, operator: Equal, value: infra, effect: NoSchedule }]
  containers: [{ name: app, image: "nginx:1.27" }]
EOF
