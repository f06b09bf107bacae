#!/usr/bin/env bash
set -eu
kubectl -n dev set resources deployment report --requests=cpu=100m,memory=64Mi
kubectl -n dev rollout status deployment report --timeout=40s
