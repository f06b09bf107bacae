#!/usr/bin/env bash
set -eu
kubectl -n dev run nginx --image=nginx:1.27 --dry-run=client -o yaml | kubectl apply -f -
kubectl -n dev wait pod/nginx --for=condition=Ready --timeout=60s
