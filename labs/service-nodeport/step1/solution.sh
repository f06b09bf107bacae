#!/usr/bin/env bash
set -eu
kubectl -n dev create service nodeport web-np --tcp=80:80 --node-port=30080 --dry-run=client -o yaml | sed 's/app: web-np/app: web/' | kubectl apply -f -
