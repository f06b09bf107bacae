#!/usr/bin/env bash
set -eu
TOKEN=$(kubectl -n dev create token reporter --duration=2h)
kubectl -n dev create secret generic reporter-token --from-literal=token="$TOKEN" --dry-run=client -o yaml | kubectl apply -f -
# Use the token as the app would: the cluster's server and CA, no admin credentials.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
server=$(kubectl config view --minify -o jsonpath='{.clusters[0].cluster.server}')
kubectl config view --raw --minify --flatten -o jsonpath='{.clusters[0].cluster.certificate-authority-data}' | base64 -d > "$tmp/ca.crt"
: > "$tmp/empty"
app() { kubectl --kubeconfig="$tmp/empty" --server="$server" --certificate-authority="$tmp/ca.crt" --token="$TOKEN" "$@"; }
app auth whoami
app -n dev get configmaps
echo "may it list secrets? $(app -n dev auth can-i list secrets || true)"
