#!/usr/bin/env bash
set -eu
kubectl -n dev create ingress web --rule="web.lab.test/*=web:80" --dry-run=client -o yaml | kubectl apply -f -
