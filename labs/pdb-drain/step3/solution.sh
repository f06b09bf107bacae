#!/usr/bin/env bash
set -eu
kubectl uncordon "$KUBELAB_NODE_W1"
