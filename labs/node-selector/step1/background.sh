#!/usr/bin/env bash
set -eu
kubectl label nodes --all disktype- >/dev/null
kubectl label node "$KUBELAB_NODE_W1" disktype=ssd --overwrite
