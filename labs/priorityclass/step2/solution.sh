#!/usr/bin/env bash
set -eu
kubectl create priorityclass business-critical --value=1000000 --global-default=false --description="Customer-facing payments." --dry-run=client -o yaml | kubectl apply -f -
kubectl -n prio patch deploy payments -p '{"spec":{"template":{"spec":{"priorityClassName":"business-critical"}}}}'
kubectl -n prio rollout status deploy/payments --timeout=90s
