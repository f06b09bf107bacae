#!/usr/bin/env bash
set -u
fail() { printf '%s\n' "$1" > "${KUBELAB_REASON_FILE:-/dev/stdout}"; exit 1; }
c=$(kubectl -n dev get job render -o jsonpath='{.spec.completions}' 2>/dev/null) || fail "Job dev/render not found"
[ "$c" = 6 ] || fail "spec.completions is ${c:-unset}; expected 6"
p=$(kubectl -n dev get job render -o jsonpath='{.spec.parallelism}')
[ "$p" = 3 ] || fail "spec.parallelism is ${p:-unset}; expected 3"
img=$(kubectl -n dev get job render -o jsonpath='{.spec.template.spec.containers[0].image}')
[ "$img" = busybox:1.36 ] || fail "the Job's image is $img; expected busybox:1.36"
if ! kubectl -n dev wait job/render --for=condition=Complete --timeout=25s >/dev/null 2>&1; then
  s=$(kubectl -n dev get job render -o jsonpath='{.status.succeeded}')
  fail "${s:-0} of 6 completions so far: the Job is not complete yet (press Check again in a moment)"
fi
exit 0
