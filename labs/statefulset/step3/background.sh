#!/usr/bin/env bash
set -eu
kubectl -n dev wait pod/db-0 --for=condition=Ready --timeout=60s
kubectl -n dev exec db-0 -- sh -c 'echo "written by db-0" > /usr/share/nginx/html/index.html'
# Remember which pod the file was written in, to tell a recreated db-0 from the same one.
kubectl -n dev create configmap kubelab-statefulset --from-literal=uid="$(kubectl -n dev get pod db-0 -o jsonpath='{.metadata.uid}')" --dry-run=client -o yaml | kubectl apply -f -
