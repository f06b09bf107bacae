#!/usr/bin/env bash
set -eu
old=$(kubectl -n dev get configmap kubelab-statefulset -o jsonpath='{.data.uid}')
[ "$(kubectl -n dev get pod db-0 -o jsonpath='{.metadata.uid}' 2>/dev/null)" != "$old" ] || kubectl -n dev delete pod db-0 --wait=true --timeout=60s
for i in $(seq 1 60); do kubectl -n dev get pod db-0 -o name >/dev/null 2>&1 && break; sleep 1; done
kubectl -n dev wait pod/db-0 --for=condition=Ready --timeout=90s
