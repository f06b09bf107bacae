#!/usr/bin/env bash
set -u
fail() { printf '%s\n' "$1" > "${KUBELAB_REASON_FILE:-/dev/stdout}"; exit 1; }
d=web want=2
spec=$(kubectl -n dev get deploy web -o jsonpath='{.spec.replicas}' 2>/dev/null) || fail "Deployment dev/web not found"
[ "$spec" = 2 ] || fail "spec.replicas is $spec; expected 2"
img=$(kubectl -n dev get deploy web -o jsonpath='{.spec.template.spec.containers[0].image}')
[ "$img" = nginx:1.27 ] || fail "image is $img; expected nginx:1.27"
sel=$(kubectl -n dev get deploy web -o jsonpath='{.spec.selector.matchLabels.app}')
[ "$sel" = web ] || fail "spec.selector.matchLabels.app is '$sel'; expected web"
if ! kubectl -n dev wait "deploy/$d" --for=jsonpath='{.status.readyReplicas}'="$want" --timeout=15s >/dev/null 2>&1; then
  ready=$(kubectl -n dev get deploy "$d" -o jsonpath='{.status.readyReplicas}')
  fail "${ready:-0} of $want replicas of Deployment dev/$d are ready"
fi
exit 0
