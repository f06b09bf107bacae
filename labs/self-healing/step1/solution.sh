#!/usr/bin/env bash
set -eu
p=$(kubectl -n dev get pods -l app=web -o jsonpath='{.items[0].metadata.name}')
kubectl -n dev delete pod "$p"
kubectl -n dev rollout status deploy/web --timeout=30s
