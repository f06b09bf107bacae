#!/usr/bin/env bash
set -eu
kubectl -n secure run db --image=nginx:1.27 --labels=app=db --dry-run=client -o yaml | kubectl apply -f -
kubectl -n secure expose pod db --port=80 --dry-run=client -o yaml | kubectl apply -f -
kubectl -n secure wait pod/db --for=condition=Ready --timeout=60s
