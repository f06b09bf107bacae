#!/usr/bin/env bash
set -eu
kubectl -n dev delete pod web-1 --ignore-not-found --wait=false
kubectl -n dev run web-1 --image=nginx:1.27 --restart=Never
