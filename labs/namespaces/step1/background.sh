#!/usr/bin/env bash
set -eu
kubectl delete namespace team-a --ignore-not-found --wait=true --timeout=30s
