#!/usr/bin/env bash
set -eu
kubectl -n dev set resources deployment big --requests=cpu=500m
kubectl -n dev rollout status deploy/big --timeout=30s
