#!/usr/bin/env bash
set -eu
# CertificateSigningRequests are cluster-scoped and the learner makes jane's: remove it, and the
# files the solution wrote on the control-plane node. (Role and RoleBinding go with namespace dev.)
kubectl delete csr jane --ignore-not-found --wait=false
rm -rf "${KUBELAB_ROOT:-}/root/jane"
