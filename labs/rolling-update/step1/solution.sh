#!/usr/bin/env bash
set -eu
kubectl -n dev set image deployment/web nginx=nginx:1.27-alpine
kubectl -n dev rollout status deploy/web --timeout=30s
