#!/usr/bin/env bash
set -eu
kubectl -n dev delete deployment web --ignore-not-found
kubectl -n dev create deployment web --image=nginx:1.27 --replicas=3
kubectl -n dev rollout status deploy/web --timeout=30s
