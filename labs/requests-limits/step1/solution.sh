#!/usr/bin/env bash
set -eu
kubectl -n dev create deployment api --image=nginx:1.27 --dry-run=client -o yaml | kubectl apply -f -
kubectl -n dev set resources deployment api --requests=cpu=100m,memory=64Mi --limits=memory=128Mi
kubectl -n dev rollout status deploy/api --timeout=30s
