#!/usr/bin/env bash
set -eu
kubectl -n backend create deployment api --image=busybox:1.36 --dry-run=client -o yaml -- sh -c 'echo api v1 > /tmp/index.html; exec httpd -f -p 80 -h /tmp' | kubectl apply -f -
kubectl -n backend create service clusterip api --tcp=80:80 --dry-run=client -o yaml | kubectl apply -f -
kubectl -n backend rollout status deploy/api --timeout=60s
