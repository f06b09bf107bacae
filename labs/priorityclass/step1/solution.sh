#!/usr/bin/env bash
set -eu
kubectl create priorityclass batch-low --value=1000 --global-default=false --description="Batch work: runs when there is room." --dry-run=client -o yaml | kubectl apply -f -
kubectl -n prio rollout status deploy/batch --timeout=90s
