#!/usr/bin/env bash
set -eu
# The CRD is cluster-scoped and made by the learner: remove it (and with it every Backup).
kubectl delete customresourcedefinition backups.stable.example.com --ignore-not-found --wait=false
