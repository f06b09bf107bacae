#!/usr/bin/env bash
set -eu
kubectl -n budget set resources deploy/api -c api --requests=cpu=250m,memory=256Mi --limits=cpu=500m,memory=512Mi
kubectl -n budget rollout status deploy/api --timeout=90s
