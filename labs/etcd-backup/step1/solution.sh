#!/usr/bin/env bash
set -eu
pki="${KUBELAB_ROOT:-}/etc/kubernetes/pki/etcd"
ETCDCTL_API=3 etcdctl --endpoints=https://127.0.0.1:2379 --cacert="$pki/ca.crt" --cert="$pki/healthcheck-client.crt" --key="$pki/healthcheck-client.key" \
  snapshot save "${KUBELAB_ROOT:-}/var/lib/etcd-backup/snapshot.db"
