#!/usr/bin/env bash
set -eu
kubectl -n dev scale deployment web --replicas=3
