#!/usr/bin/env bash
set -eu
kubectl -n dev patch service shop --type=merge -p '{"spec":{"selector":{"app":"shop"}}}'
