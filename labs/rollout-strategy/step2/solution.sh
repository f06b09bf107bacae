#!/usr/bin/env bash
set -eu
kubectl -n dev set image deployment/web web=nginx:1.27-alpine
kubectl -n dev rollout status deployment/web --timeout=50s
