#!/usr/bin/env bash
set -eu
kubectl -n dev rollout undo deployment/web
kubectl -n dev rollout status deploy/web --timeout=30s
