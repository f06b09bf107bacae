#!/usr/bin/env bash
set -eu
kubectl -n dev set env deploy/worker MODE=prod
kubectl -n dev rollout status deploy/worker --timeout=60s
