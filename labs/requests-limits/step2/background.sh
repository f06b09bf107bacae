#!/usr/bin/env bash
set -eu
kubectl -n dev delete deployment big --ignore-not-found
kubectl -n dev create deployment big --image=nginx:1.27 --replicas=2
kubectl -n dev set resources deployment big --requests=cpu=64
