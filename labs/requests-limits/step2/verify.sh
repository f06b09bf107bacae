#!/usr/bin/env bash
set -u
fail() { printf '%s\n' "$1" > "${KUBELAB_REASON_FILE:-/dev/stdout}"; exit 1; }
cpu=$(kubectl -n dev get deploy big -o jsonpath='{.spec.template.spec.containers[0].resources.requests.cpu}' 2>/dev/null) || fail "Deployment dev/big not found"
[ "$cpu" = 500m ] || fail "big requests cpu $cpu; expected 500m (no node has that much CPU free?)"
d=big want=2
if ! kubectl -n dev wait "deploy/$d" --for=jsonpath='{.status.readyReplicas}'="$want" --timeout=15s >/dev/null 2>&1; then
  ready=$(kubectl -n dev get deploy "$d" -o jsonpath='{.status.readyReplicas}')
  fail "${ready:-0} of $want replicas of Deployment dev/$d are ready"
fi
exit 0
