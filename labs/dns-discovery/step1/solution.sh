#!/usr/bin/env bash
set -eu
kubectl -n frontend run client --image=busybox:1.36 --dry-run=client -o yaml -- sh -c 'while true; do wget -qO- http://api.backend.svc.cluster.local/; sleep 2; done' | kubectl apply -f -
kubectl -n frontend wait pod/client --for=condition=Ready --timeout=60s
