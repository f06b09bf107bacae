#!/usr/bin/env bash
set -eu
kubectl -n dev label pod nginx --overwrite node="$(kubectl -n dev get pod nginx -o jsonpath='{.spec.nodeName}')"
