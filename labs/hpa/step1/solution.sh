#!/usr/bin/env bash
set -eu
kubectl -n dev autoscale deployment web --min=2 --max=5 --cpu-percent=50 --dry-run=client -o yaml | kubectl -n dev apply -f -
