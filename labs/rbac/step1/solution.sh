#!/usr/bin/env bash
set -eu
kubectl -n dev create serviceaccount viewer --dry-run=client -o yaml | kubectl apply -f -
kubectl -n dev create role pod-reader --verb=get,list,watch --resource=pods --dry-run=client -o yaml | kubectl apply -f -
kubectl -n dev create rolebinding viewer-pod-reader --role=pod-reader --serviceaccount=dev:viewer --dry-run=client -o yaml | kubectl apply -f -
