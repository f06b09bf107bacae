#!/usr/bin/env bash
set -u
fail() { printf '%s\n' "$1" > "${KUBELAB_REASON_FILE:-/dev/stdout}"; exit 1; }
b64=$(kubectl -n dev get secret reporter-token -o jsonpath='{.data.token}' 2>/dev/null) || fail "no Secret dev/reporter-token: store the token from kubectl create token in it, key token"
[ -n "$b64" ] || fail "Secret dev/reporter-token has no key token"
token=$(printf '%s' "$b64" | base64 -d | tr -d '[:space:]')
# Who is it? The API server's answer, not the token's own claims.
review=$(printf '{"apiVersion":"authentication.k8s.io/v1","kind":"TokenReview","spec":{"token":"%s"}}' "$token" |
  kubectl create -f - -o jsonpath='{.status.authenticated} {.status.user.username}{"\n"}{.status.error}' 2>&1) || fail "the TokenReview failed: $(printf '%s' "$review" | tail -n1)"
read -r ok user <<<"$(printf '%s' "$review" | head -n1)"
[ "$ok" = true ] || fail "the token in dev/reporter-token does not authenticate: $(printf '%s' "$review" | sed -n 2p | sed 's/^$/expired, or not a token of this cluster/') — request a new one with kubectl create token"
[ "$user" = system:serviceaccount:dev:reporter ] || fail "the token in dev/reporter-token authenticates as $user, not ServiceAccount dev/reporter"
# A bound token carries iat and exp; a legacy Secret-based token has no exp.
payload=$(printf '%s' "$token" | cut -d. -f2 | tr '_-' '/+')
while [ $(( ${#payload} % 4 )) -ne 0 ]; do payload="$payload="; done
claims=$(printf '%s' "$payload" | base64 -d 2>/dev/null)
exp=$(printf '%s' "$claims" | sed -n 's/.*"exp":\([0-9]*\).*/\1/p')
iat=$(printf '%s' "$claims" | sed -n 's/.*"iat":\([0-9]*\).*/\1/p')
[ -n "$exp" ] && [ -n "$iat" ] || fail "the token never expires: it is a legacy Secret token; request one with kubectl create token reporter --duration=2h"
life=$(( exp - iat ))
[ "$life" -ge 7140 ] && [ "$life" -le 7260 ] || fail "the token is valid for $(( life / 60 )) minutes, not 2 hours: kubectl create token reporter --duration=2h"
exit 0
