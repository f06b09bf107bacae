#!/usr/bin/env bash
set -eu
kubectl -n dev exec nginx -- sh -c 'echo hello from exec > /usr/share/nginx/html/hello.html'
