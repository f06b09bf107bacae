#!/usr/bin/env bash
set -u
fail() { printf '%s\n' "$1" > "${KUBELAB_REASON_FILE:-/dev/stdout}"; exit 1; }
command -v openssl >/dev/null 2>&1 || fail "openssl is not installed on the control-plane node, where the check reads the request (Debian/Ubuntu: apt-get install openssl)"
csr() { kubectl get csr jane -o jsonpath="$1" 2>/dev/null; }
signer=$(csr '{.spec.signerName}') || fail "no CertificateSigningRequest jane: create one from jane.csr (openssl req -subj \"/CN=jane/O=dev-team\") with signerName kubernetes.io/kube-apiserver-client"
[ "$signer" = kubernetes.io/kube-apiserver-client ] || fail "CSR jane has signerName $signer: a client certificate for the API server needs kubernetes.io/kube-apiserver-client (delete the CSR and create it again)"
subject=$(csr '{.spec.request}' | base64 -d 2>/dev/null | openssl req -noout -subject -nameopt RFC2253 2>/dev/null) || fail "CSR jane's spec.request is not a PEM certificate request: use base64 -w0 < jane.csr"
printf '%s' "$subject" | grep -Eq '(=|,)CN=jane(,|$)' || fail "CSR jane requests ${subject#subject=}, not CN=jane: make the request with -subj \"/CN=jane/O=dev-team\""
csr '{.spec.usages}' | grep -q '"client auth"' || fail "CSR jane's usages lack \"client auth\": a user's certificate is for client authentication"
[ "$(csr '{.status.conditions[?(@.type=="Denied")].status}')" = True ] && fail "CSR jane was denied: delete it and create it again, then approve it"
failed=$(csr '{.status.conditions[?(@.type=="Failed")].message}')
[ -n "$failed" ] && fail "the signer refused CSR jane: $failed"
[ "$(csr '{.status.conditions[?(@.type=="Approved")].status}')" = True ] || fail "CSR jane is Pending: approve it (kubectl certificate approve jane)"
# The signer writes the certificate a moment after the approval.
for _ in $(seq 20); do
  crt=$(csr '{.status.certificate}')
  [ -n "$crt" ] && break
  sleep 0.5
done
[ -n "$crt" ] || fail "CSR jane is approved but no certificate was issued: is the controller manager running? (kubectl get csr jane)"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
printf '%s' "$crt" | base64 -d > "$tmp/jane.crt"
kubectl -n kube-system get configmap kube-root-ca.crt -o jsonpath='{.data.ca\.crt}' > "$tmp/ca.crt" 2>/dev/null || fail "cannot read the cluster CA (kube-system/kube-root-ca.crt)"
openssl x509 -in "$tmp/jane.crt" -noout -subject -nameopt RFC2253 2>/dev/null | grep -Eq '(=|,)CN=jane(,|$)' || fail "the certificate issued for CSR jane is not for CN=jane"
openssl verify -CAfile "$tmp/ca.crt" "$tmp/jane.crt" >/dev/null 2>&1 || fail "the certificate in CSR jane is not signed by the cluster's CA"
exit 0
