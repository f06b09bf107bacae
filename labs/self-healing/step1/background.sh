#!/usr/bin/env bash
set -eu
kubectl -n dev delete deployment web --ignore-not-found
kubectl -n dev create deployment web --image=nginx:1.27 --replicas=3
kubectl -n dev rollout status deploy/web --timeout=30s
names=$(kubectl -n dev get pods -l app=web -o jsonpath='{.items[*].metadata.name}')
kubectl -n dev create configmap kubelab-original-pods --from-literal=names="$names" --dry-run=client -o yaml | kubectl apply -f -
