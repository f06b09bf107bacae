#!/usr/bin/env bash
set -u
fail() { printf '%s\n' "$1" > "${KUBELAB_REASON_FILE:-/dev/stdout}"; exit 1; }
kubectl -n dev get job pi -o name >/dev/null 2>&1 || fail "Job dev/pi not found"
kubectl -n dev wait job/pi --for=condition=Complete --timeout=15s >/dev/null 2>&1 || fail "Job pi has not completed (succeeded: $(kubectl -n dev get job pi -o jsonpath='{.status.succeeded}'))"
s=$(kubectl -n dev get job pi -o jsonpath='{.status.succeeded}')
[ "$s" = 1 ] || fail "job pi status.succeeded is ${s:-0}; expected 1"
exit 0
