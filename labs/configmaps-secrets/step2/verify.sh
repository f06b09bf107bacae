#!/usr/bin/env bash
set -u
fail() { printf '%s\n' "$1" > "${KUBELAB_REASON_FILE:-/dev/stdout}"; exit 1; }
p=$(kubectl -n dev get secret db -o jsonpath='{.data.password}' 2>/dev/null) || fail "Secret dev/db not found"
[ "$(printf %s "$p" | base64 -d)" = s3cr3t ] || fail "Secret db key password does not decode to s3cr3t"
vol=$(kubectl -n dev get pod dbc -o jsonpath='{range .spec.volumes[*]}{.name}={.secret.secretName}{" "}{end}' 2>/dev/null) || fail "pod dev/dbc not found"
name=$(printf '%s\n' $vol | awk -F= '$2=="db"{print $1; exit}')
[ -n "$name" ] || fail "pod dbc has no volume of type secret for Secret db"
mp=$(kubectl -n dev get pod dbc -o jsonpath="{.spec.containers[0].volumeMounts[?(@.name=='$name')].mountPath}")
[ "$mp" = /etc/db ] || fail "the secret volume is mounted at '${mp}'; expected /etc/db"
kubectl -n dev wait pod/dbc --for=condition=Ready --timeout=15s >/dev/null 2>&1 || fail "pod dbc is not Ready (phase $(kubectl -n dev get pod dbc -o jsonpath='{.status.phase}'))"
v=$(kubectl -n dev exec dbc -- cat /etc/db/password 2>/dev/null)
[ "$v" = s3cr3t ] || fail "inside pod dbc, /etc/db/password holds '${v}'; expected s3cr3t"
exit 0
