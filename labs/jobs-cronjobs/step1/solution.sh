#!/usr/bin/env bash
set -eu
kubectl -n dev create job pi --image=busybox:1.36 -- sh -c "echo 3.14159"
kubectl -n dev wait job/pi --for=condition=Complete --timeout=30s
