#!/usr/bin/env bash
set -u
fail() { printf '%s\n' "$1" > "${KUBELAB_REASON_FILE:-/dev/stdout}"; exit 1; }
sa=$(kubectl -n dev get pod reporter -o jsonpath='{.spec.serviceAccountName}' 2>/dev/null) || fail "no pod reporter in dev"
[ "$sa" = reporter ] || fail "pod reporter runs as ServiceAccount ${sa:-default}, not reporter: set spec.serviceAccountName (delete the pod and create it again; it cannot be changed)"
kubectl -n dev wait pod/reporter --for=condition=Ready --timeout=30s >/dev/null 2>&1 || fail "pod reporter is not running: $(kubectl -n dev get pod reporter -o jsonpath='{.status.phase} {.status.containerStatuses[0].state.waiting.reason}' 2>/dev/null)"
# The token the kubelet mounted for the pod (bound to it), and who the API server says it is.
token=$(kubectl -n dev exec reporter -- cat /var/run/secrets/kubernetes.io/serviceaccount/token 2>/dev/null) || fail "pod reporter has no token at /var/run/secrets/kubernetes.io/serviceaccount/token: leave automountServiceAccountToken on"
user=$(printf '{"apiVersion":"authentication.k8s.io/v1","kind":"TokenReview","spec":{"token":"%s"}}' "$token" |
  kubectl create -f - -o jsonpath='{.status.user.username}' 2>/dev/null)
[ "$user" = system:serviceaccount:dev:reporter ] || fail "the token mounted in pod reporter does not authenticate as ServiceAccount dev/reporter${user:+ (it is $user)}"
exit 0
