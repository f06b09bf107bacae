#!/usr/bin/env bash
set -eu
kubectl -n priority patch deployment busybox-logger -p '{"spec":{"template":{"spec":{"priorityClassName":"high-priority"}}}}'
kubectl -n priority rollout status deployment busybox-logger --timeout=90s
