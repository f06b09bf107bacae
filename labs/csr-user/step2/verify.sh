#!/usr/bin/env bash
set -u
fail() { printf '%s\n' "$1" > "${KUBELAB_REASON_FILE:-/dev/stdout}"; exit 1; }
# jane is who the cluster issued a certificate to: the CSR must still be there, approved and issued.
crt=$(kubectl get csr jane -o jsonpath='{.status.certificate}' 2>/dev/null)
[ -n "$crt" ] || fail "CSR jane is gone or has no certificate: step 1 again (kubelab lab reset starts over)"
# Ask as jane with the groups of her certificate (each O), as the API server will see her.
as=(--as=jane --as-group=system:authenticated)
for g in $(printf '%s' "$crt" | base64 -d | openssl x509 -noout -subject -nameopt RFC2253 2>/dev/null | sed 's/^subject=//' | tr ',' '\n' | sed -n 's/^O=//p'); do as+=(--as-group="$g"); done
can() { kubectl auth can-i "$@" "${as[@]}" 2>/dev/null; }
[ "$(can list pods -n dev)" = yes ] || fail "jane may not list pods in dev: bind a Role allowing get, list and watch on pods to user jane (kubectl create rolebinding --user=jane)"
[ "$(can get pods -n dev)" = yes ] || fail "jane may list but not get pods in dev: the Role needs get, list and watch"
[ "$(can delete pods -n dev)" = no ] || fail "jane may delete pods in dev: grant only get, list and watch"
[ "$(can list pods -n default)" = no ] || fail "jane may list pods outside dev: use a RoleBinding in dev, not a ClusterRoleBinding"
[ "$(can list secrets -n dev)" = no ] || fail "jane may list secrets in dev: give her pods only"
exit 0
