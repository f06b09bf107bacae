#!/usr/bin/env bash
set -eu
kubectl -n dev expose deployment web --name=web-svc --port=80 --dry-run=client -o yaml | kubectl apply -f -
