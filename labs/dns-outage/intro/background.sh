#!/usr/bin/env bash
set -eu
kubectl -n shop create deployment api --image=busybox:1.36 --dry-run=client -o yaml -- sh -c 'echo api v1 > /tmp/index.html; exec httpd -f -p 80 -h /tmp' | kubectl apply -f -
kubectl -n shop create service clusterip api --tcp=80:80 --dry-run=client -o yaml | kubectl apply -f -
kubectl -n shop run client --image=busybox:1.36 --dry-run=client -o yaml -- sh -c 'trap "exit 0" TERM; while true; do timeout 10 wget -qO- http://api/ 2>&1 || echo no answer from api; sleep 2; done' | kubectl apply -f -
kubectl -n shop rollout status deploy/api --timeout=60s
kubectl -n shop wait pod/client --for=condition=Ready --timeout=60s
