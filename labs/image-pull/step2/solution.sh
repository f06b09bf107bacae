#!/usr/bin/env bash
set -eu
kubectl -n dev set image deploy/report render=busybox:1.36
kubectl -n dev rollout status deploy/report --timeout=60s
