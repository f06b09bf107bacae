#!/usr/bin/env bash
set -u
fail() { printf '%s\n' "$1" > "${KUBELAB_REASON_FILE:-/dev/stdout}"; exit 1; }
r=$(kubectl -n dev get deploy api -o jsonpath='{.spec.template.spec.containers[0].resources.requests.cpu}|{.spec.template.spec.containers[0].resources.requests.memory}|{.spec.template.spec.containers[0].resources.limits.memory}' 2>/dev/null) || fail "Deployment dev/api not found"
IFS='|' read -r cpu mem lim <<<"$r"
[ "$cpu" = 100m ] || fail "requests.cpu is '${cpu}'; expected 100m"
[ "$mem" = 64Mi ] || fail "requests.memory is '${mem}'; expected 64Mi"
[ "$lim" = 128Mi ] || fail "limits.memory is '${lim}'; expected 128Mi"
want=$(kubectl -n dev get deploy api -o jsonpath='{.spec.replicas}') d=api
if ! kubectl -n dev wait "deploy/$d" --for=jsonpath='{.status.readyReplicas}'="$want" --timeout=15s >/dev/null 2>&1; then
  ready=$(kubectl -n dev get deploy "$d" -o jsonpath='{.status.readyReplicas}')
  fail "${ready:-0} of $want replicas of Deployment dev/$d are ready"
fi
exit 0
