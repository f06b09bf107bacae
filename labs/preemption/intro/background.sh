#!/usr/bin/env bash
set -eu
node=${KUBELAB_NODE_W1:?}
# Size everything from what is free on the node, so the story is the same on any machine:
# batch 2 x 35 %, metrics 10 %, busybox-logger 50 % (it fits only once one batch pod is gone).
to_m() { awk -v q="$1" 'BEGIN { if (q ~ /m$/) { sub(/m$/, "", q); printf "%d", q } else printf "%d", q * 1000 }'; }
alloc=$(to_m "$(kubectl get node "$node" -o jsonpath='{.status.allocatable.cpu}')")
used=0
for q in $(kubectl get pods -A --field-selector "spec.nodeName=$node,status.phase!=Succeeded,status.phase!=Failed" \
  -o jsonpath='{range .items[*].spec.containers[*]}{.resources.requests.cpu}{" "}{end}'); do
  used=$((used + $(to_m "$q")))
done
free=$((alloc - used))
[ "$free" -ge 400 ] || { echo "node $node has ${free}m CPU unrequested; this lab needs at least 400m" >&2; exit 1; }
batch=$((free * 35 / 100))m metrics=$((free / 10))m logger=$((free / 2))m
kubectl apply -f - <<YAML
apiVersion: scheduling.k8s.io/v1
kind: PriorityClass
metadata: { name: low-priority }
value: 1000
description: Batch work that may wait.
---
apiVersion: scheduling.k8s.io/v1
kind: PriorityClass
metadata: { name: medium-priority }
value: 5000
description: Team services.
---
apiVersion: apps/v1
kind: Deployment
metadata: { name: batch, namespace: priority }
spec:
  replicas: 2
  selector: { matchLabels: { app: batch } }
  template:
    metadata: { labels: { app: batch } }
    spec:
      priorityClassName: low-priority
      nodeSelector: { kubernetes.io/hostname: $node }
      containers:
      - { name: worker, image: nginx:1.27, resources: { requests: { cpu: $batch } } }
---
apiVersion: apps/v1
kind: Deployment
metadata: { name: metrics, namespace: priority }
spec:
  replicas: 1
  selector: { matchLabels: { app: metrics } }
  template:
    metadata: { labels: { app: metrics } }
    spec:
      priorityClassName: medium-priority
      nodeSelector: { kubernetes.io/hostname: $node }
      containers:
      - { name: exporter, image: nginx:1.27, resources: { requests: { cpu: $metrics } } }
YAML
kubectl -n priority rollout status deploy/batch --timeout=90s
kubectl -n priority rollout status deploy/metrics --timeout=90s
kubectl apply -f - <<YAML
apiVersion: apps/v1
kind: Deployment
metadata: { name: busybox-logger, namespace: priority }
spec:
  replicas: 1
  selector: { matchLabels: { app: busybox-logger } }
  template:
    metadata: { labels: { app: busybox-logger } }
    spec:
      nodeSelector: { kubernetes.io/hostname: $node }
      containers:
      - name: logger
        image: busybox:1.36
        command: [sh, -c, 'while true; do echo "\$(date) shipping logs"; sleep 5; done']
        resources: { requests: { cpu: $logger } }
YAML
# The requests as the API server stores them (2000m reads back as 2), for the check to compare.
req() { kubectl -n priority get deploy "$1" -o jsonpath='{.spec.template.spec.containers[0].resources.requests.cpu}'; }
kubectl annotate namespace priority --overwrite "kubelab.dev/batch-cpu=$(req batch)" "kubelab.dev/logger-cpu=$(req busybox-logger)" >/dev/null
