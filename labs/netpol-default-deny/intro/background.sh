#!/usr/bin/env bash
set -eu
for app in api db; do
  kubectl -n payments run "$app" --image=nginx:1.27 --labels="app=$app" --dry-run=client -o yaml | kubectl apply -f -
  kubectl -n payments expose pod "$app" --port=80 --dry-run=client -o yaml | kubectl apply -f -
done
kubectl -n payments run frontend --image=busybox:1.36 --labels=app=frontend --dry-run=client -o yaml -- sleep 1000000 | kubectl apply -f -
kubectl -n payments wait pod/api pod/db pod/frontend --for=condition=Ready --timeout=60s
