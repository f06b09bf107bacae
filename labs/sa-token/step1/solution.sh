#!/usr/bin/env bash
set -eu
kubectl -n dev create serviceaccount reporter --dry-run=client -o yaml | kubectl apply -f -
kubectl -n dev create role configmap-reader --verb=get,list --resource=configmaps --dry-run=client -o yaml | kubectl apply -f -
kubectl -n dev create rolebinding reporter-configmap-reader --role=configmap-reader --serviceaccount=dev:reporter --dry-run=client -o yaml | kubectl apply -f -
kubectl auth can-i list configmaps -n dev --as=system:serviceaccount:dev:reporter
