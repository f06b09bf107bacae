#!/usr/bin/env bash
set -eu
kubectl -n dev label pod web-1 app=web tier=frontend --overwrite
