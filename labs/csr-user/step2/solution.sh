#!/usr/bin/env bash
set -eu
d="${KUBELAB_ROOT:-}/root/jane"
mkdir -p "$d" && cd "$d"
kubectl -n dev create role pod-reader --verb=get,list,watch --resource=pods --dry-run=client -o yaml | kubectl apply -f -
kubectl -n dev create rolebinding jane-pod-reader --role=pod-reader --user=jane --dry-run=client -o yaml | kubectl apply -f -
# jane's kubeconfig: the cluster's server and CA from the admin's, her key and certificate.
[ -s jane.crt ] || kubectl get csr jane -o jsonpath='{.status.certificate}' | base64 -d > jane.crt
server=$(kubectl config view --minify -o jsonpath='{.clusters[0].cluster.server}')
kubectl config view --raw --minify --flatten -o jsonpath='{.clusters[0].cluster.certificate-authority-data}' | base64 -d > ca.crt
kubectl config --kubeconfig=jane.kubeconfig set-cluster lab --server="$server" --certificate-authority=ca.crt --embed-certs
kubectl config --kubeconfig=jane.kubeconfig set-credentials jane --client-key=jane.key --client-certificate=jane.crt --embed-certs
kubectl config --kubeconfig=jane.kubeconfig set-context jane --cluster=lab --user=jane --namespace=dev
kubectl config --kubeconfig=jane.kubeconfig use-context jane
kubectl --kubeconfig=jane.kubeconfig auth whoami
kubectl --kubeconfig=jane.kubeconfig get pods
echo "may jane delete pods in dev? $(kubectl --kubeconfig=jane.kubeconfig auth can-i delete pods || true)"
