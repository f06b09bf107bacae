#!/usr/bin/env bash
set -eu
kubectl -n dev apply -f - <<'YAML'
apiVersion: v1
kind: Pod
metadata:
  name: reporter
spec:
  serviceAccountName: reporter
  containers:
  - name: app
    image: busybox:1.36
    command: ["sleep", "3600"]
YAML
kubectl -n dev wait pod/reporter --for=condition=Ready --timeout=40s
