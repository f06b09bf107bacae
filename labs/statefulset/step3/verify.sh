#!/usr/bin/env bash
set -u
fail() { printf '%s\n' "$1" > "${KUBELAB_REASON_FILE:-/dev/stdout}"; exit 1; }
old=$(kubectl -n dev get configmap kubelab-statefulset -o jsonpath='{.data.uid}' 2>/dev/null)
uid=$(kubectl -n dev get pod db-0 -o jsonpath='{.metadata.uid}' 2>/dev/null) || fail "pod db-0 does not exist right now: wait for the StatefulSet to recreate it"
[ "$uid" != "$old" ] || fail "pod db-0 is still the one the file was written in: delete it"
kubectl -n dev wait pod/db-0 --for=condition=Ready --timeout=20s >/dev/null 2>&1 || fail "the new db-0 is not Ready yet"
v=$(kubectl -n dev exec db-0 -- cat /usr/share/nginx/html/index.html 2>/dev/null)
case "$v" in *'written by db-0'*) ;; *) fail "the new db-0 does not see the file (index.html holds '$(printf %s "$v" | head -c 60)'): is the volume its claim data-db-0?";; esac
exit 0
