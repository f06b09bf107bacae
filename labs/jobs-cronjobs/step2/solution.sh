#!/usr/bin/env bash
set -eu
kubectl -n dev create cronjob hello --image=busybox:1.36 --schedule="*/1 * * * *" -- echo hello
