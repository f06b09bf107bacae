#!/usr/bin/env bash
set -eu
kubectl delete pv lab-pv --ignore-not-found --wait=false
