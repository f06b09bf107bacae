#!/usr/bin/env bash
set -u
fail() { printf '%s\n' "$1" > "${KUBELAB_REASON_FILE:-/dev/stdout}"; exit 1; }
d=web want=3
spec=$(kubectl -n dev get deploy web -o jsonpath='{.spec.replicas}' 2>/dev/null) || fail "Deployment dev/web not found"
[ "$spec" = 3 ] || fail "spec.replicas is $spec; expected 3"
if ! kubectl -n dev wait "deploy/$d" --for=jsonpath='{.status.readyReplicas}'="$want" --timeout=15s >/dev/null 2>&1; then
  ready=$(kubectl -n dev get deploy "$d" -o jsonpath='{.status.readyReplicas}')
  fail "${ready:-0} of $want replicas of Deployment dev/$d are ready"
fi
gen=$(kubectl -n dev get deploy web -o jsonpath='{.metadata.generation}'); obs=$(kubectl -n dev get deploy web -o jsonpath='{.status.observedGeneration}')
[ "$gen" = "$obs" ] || fail "the controller has not seen the change yet (observedGeneration $obs, generation $gen)"
exit 0
