#!/usr/bin/env bash
set -eu
cat <<'EOF' | kubectl apply -f -
apiVersion: batch/v1
kind: Job
metadata: {name: render, namespace: dev}
spec:
  completions: 6
  parallelism: 3
  template:
    spec:
      restartPolicy: Never
      containers:
      - name: render
        image: busybox:1.36
        command: [sh, -c, 'echo frame; sleep 2']
EOF
kubectl -n dev wait job/render --for=condition=Complete --timeout=40s >/dev/null
