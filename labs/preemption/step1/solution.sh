#!/usr/bin/env bash
set -eu
max=$(kubectl get priorityclasses -o jsonpath='{range .items[*]}{.metadata.name} {.value}{"\n"}{end}' |
  awk '$1 != "high-priority" && $1 !~ /^system-/ && $2 <= 1000000000 { if (m == "" || $2 > m) m = $2 } END { print m }')
kubectl create priorityclass high-priority --value=$((max - 1)) --description="User workloads that must run." --dry-run=client -o yaml | kubectl apply -f -
