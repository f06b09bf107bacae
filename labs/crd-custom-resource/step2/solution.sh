#!/usr/bin/env bash
set -eu
kubectl apply -f - <<'YAML'
apiVersion: stable.example.com/v1
kind: Backup
metadata: { name: nightly, namespace: ops }
spec:
  schedule: "0 2 * * *"
  retentionDays: 7
YAML
