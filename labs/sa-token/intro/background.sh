#!/usr/bin/env bash
set -eu
# The settings the reporting app reads.
kubectl -n dev create configmap report-config --from-literal=schedule=daily --from-literal=format=csv --dry-run=client -o yaml | kubectl apply -f -
