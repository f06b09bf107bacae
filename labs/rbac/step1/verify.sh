#!/usr/bin/env bash
set -u
fail() { printf '%s\n' "$1" > "${KUBELAB_REASON_FILE:-/dev/stdout}"; exit 1; }
kubectl -n dev get sa viewer -o name >/dev/null 2>&1 || fail "ServiceAccount dev/viewer not found"
as=system:serviceaccount:dev:viewer
[ "$(kubectl auth can-i list pods -n dev --as=$as 2>/dev/null)" = yes ] || fail "viewer may not list pods in dev: bind it to a Role that allows get, list and watch on pods"
[ "$(kubectl auth can-i delete pods -n dev --as=$as 2>/dev/null)" = no ] || fail "viewer may delete pods in dev: grant only get, list and watch"
[ "$(kubectl auth can-i list pods -n default --as=$as 2>/dev/null)" = no ] || fail "viewer may list pods outside dev: use a RoleBinding in dev, not a ClusterRoleBinding"
exit 0
