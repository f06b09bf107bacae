#!/usr/bin/env bash
set -eu
kubectl -n dev set image deploy/web web=nginx:1.27
kubectl -n dev rollout status deploy/web --timeout=60s
