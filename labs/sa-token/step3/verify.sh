#!/usr/bin/env bash
set -u
fail() { printf '%s\n' "$1" > "${KUBELAB_REASON_FILE:-/dev/stdout}"; exit 1; }
sa=$(kubectl -n dev get pod reporter -o jsonpath='{.spec.serviceAccountName}' 2>/dev/null) || fail "no pod reporter in dev"
[ "$sa" = reporter ] || fail "pod reporter runs as ServiceAccount ${sa:-default}, not reporter: set spec.serviceAccountName (delete the pod and create it again; it cannot be changed)"
kubectl -n dev wait pod/reporter --for=condition=Ready --timeout=30s >/dev/null 2>&1 || fail "pod reporter is not running: $(kubectl -n dev get pod reporter -o jsonpath='{.status.phase} {.status.containerStatuses[0].state.waiting.reason}' 2>/dev/null)"
# As the kubelet does for a pod's token: a TokenRequest bound to the pod, which the API server
# grants only for the pod's own ServiceAccount, then a TokenReview of it.
token=$(kubectl -n dev create token reporter --bound-object-kind=Pod --bound-object-name=reporter --duration=10m 2>&1) || fail "the API server issues no token of reporter bound to pod reporter: $(printf '%s' "$token" | tail -n1)"
user=$(printf '{"apiVersion":"authentication.k8s.io/v1","kind":"TokenReview","spec":{"token":"%s"}}' "$token" |
  kubectl create -f - -o jsonpath='{.status.user.username}' 2>/dev/null)
[ "$user" = system:serviceaccount:dev:reporter ] || fail "a token bound to pod reporter does not authenticate as ServiceAccount dev/reporter${user:+ (it is $user)}"
exit 0
