#!/usr/bin/env bash
set -eu
kubectl drain "$KUBELAB_NODE_W1" --ignore-daemonsets --delete-emptydir-data --timeout=40s
kubectl -n dev rollout status deploy/web --timeout=30s
