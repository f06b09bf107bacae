#!/usr/bin/env bash
set -eu
kubectl -n dev create deployment shop --image=nginx:1.27 --replicas=2 --dry-run=client -o yaml | kubectl apply -f -
kubectl -n dev delete service shop --ignore-not-found
kubectl -n dev create service clusterip shop --tcp=80:80 --dry-run=client -o yaml | sed 's/app: shop/app: shopp/' | kubectl apply -f -
kubectl -n dev rollout status deploy/shop --timeout=30s
