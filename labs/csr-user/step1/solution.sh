#!/usr/bin/env bash
set -eu
d="${KUBELAB_ROOT:-}/root/jane"
mkdir -p "$d" && cd "$d"
openssl genrsa -out jane.key 2048 2>/dev/null
openssl req -new -key jane.key -subj "/CN=jane/O=dev-team" -out jane.csr
kubectl create -f - <<YAML
apiVersion: certificates.k8s.io/v1
kind: CertificateSigningRequest
metadata:
  name: jane
spec:
  request: $(base64 -w0 < jane.csr)
  signerName: kubernetes.io/kube-apiserver-client
  expirationSeconds: 86400
  usages: ["client auth"]
YAML
kubectl certificate approve jane
# The controller manager's signer writes status.certificate shortly after the approval.
for _ in $(seq 60); do
  crt=$(kubectl get csr jane -o jsonpath='{.status.certificate}')
  [ -n "$crt" ] && break
  sleep 0.5
done
printf '%s' "$crt" | base64 -d > jane.crt
openssl x509 -in jane.crt -noout -subject -enddate
kubectl get csr jane
