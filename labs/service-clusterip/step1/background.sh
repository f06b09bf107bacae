#!/usr/bin/env bash
set -eu
kubectl -n dev create deployment web --image=nginx:1.27 --replicas=2 --dry-run=client -o yaml | kubectl apply -f -
kubectl -n dev rollout status deploy/web --timeout=60s
