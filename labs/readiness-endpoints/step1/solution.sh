#!/usr/bin/env bash
set -eu
kubectl -n store patch deploy catalog --type=json -p '[{"op":"replace","path":"/spec/template/spec/containers/0/readinessProbe/httpGet/path","value":"/"}]'
kubectl -n store rollout status deploy/catalog --timeout=90s
