#!/usr/bin/env bash
set -eu
# A fresh start: no snapshot yet, and an object the snapshot must contain.
rm -f "${KUBELAB_ROOT:-}/var/lib/etcd-backup/snapshot.db"
mkdir -p "${KUBELAB_ROOT:-}/var/lib/etcd-backup"
kubectl -n dev create configmap release --from-literal=version=v42 --dry-run=client -o yaml | kubectl apply -f -
