#!/usr/bin/env bash
set -eu
kubectl -n dev expose deployment web --name=web-lb --type=LoadBalancer --port=80 --dry-run=client -o yaml | kubectl apply -f -
