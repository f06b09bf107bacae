#!/usr/bin/env bash
set -u
fail() { printf '%s\n' "$1" > "${KUBELAB_REASON_FILE:-/dev/stdout}"; exit 1; }
img=$(kubectl -n dev get deploy web -o jsonpath='{.spec.template.spec.containers[0].image}' 2>/dev/null) || fail "Deployment dev/web not found"
# The first pod stuck pulling, with the kubelet's words: what the learner should have read.
stuck() { kubectl -n dev get pods -l app=web -o jsonpath='{range .items[*]}{.metadata.name} is in {.status.containerStatuses[0].state.waiting.reason}: {.status.containerStatuses[0].state.waiting.message}{"\n"}{end}' | grep -E ' is in (ErrImagePull|ImagePullBackOff)' | head -1 | cut -c1-300; }
case "$img" in
  nginx:*|docker.io/library/nginx:*) ;;
  *) msg=$(stuck); fail "web runs image $img, not nginx${msg:+; pod $msg}" ;;
esac
r=$(kubectl -n dev get deploy web -o jsonpath='{.spec.replicas}')
[ "${r:-0}" -ge 2 ] || fail "web should run 2 pods, it asks for ${r:-0}"
if ! kubectl -n dev rollout status deploy/web --timeout=20s >/dev/null 2>&1; then
  msg=$(stuck)
  fail "the rollout of web has not finished${msg:+; pod $msg}"
fi
ready=$(kubectl -n dev get deploy web -o jsonpath='{.status.readyReplicas}')
[ "${ready:-0}" -ge 2 ] || fail "web has ${ready:-0} of 2 pods ready"
exit 0
