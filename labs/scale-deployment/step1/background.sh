#!/usr/bin/env bash
set -eu
kubectl -n dev create deployment web --image=nginx:1.27 --replicas=1 --dry-run=client -o yaml | kubectl apply -f -
kubectl -n dev scale deployment web --replicas=1
