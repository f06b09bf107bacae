#!/usr/bin/env bash
set -eu
kubectl -n dev patch deploy api --type=json -p '[{"op":"replace","path":"/spec/template/spec/containers/0/livenessProbe/httpGet/port","value":80}]'
kubectl -n dev rollout status deploy/api --timeout=60s
