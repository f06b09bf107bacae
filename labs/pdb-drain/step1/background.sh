#!/usr/bin/env bash
set -eu
for n in $(kubectl get nodes -o name); do kubectl uncordon "${n#node/}" >/dev/null; done
kubectl -n dev create deployment web --image=nginx:1.27 --replicas=3 --dry-run=client -o yaml | kubectl apply -f -
kubectl -n dev rollout status deploy/web --timeout=30s
