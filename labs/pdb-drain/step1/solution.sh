#!/usr/bin/env bash
set -eu
kubectl -n dev create poddisruptionbudget web-pdb --selector=app=web --min-available=2 --dry-run=client -o yaml | kubectl apply -f -
