#!/usr/bin/env bash
set -u
fail() { printf '%s\n' "$1" > "${KUBELAB_REASON_FILE:-/dev/stdout}"; exit 1; }
kubectl -n dev get sa reporter -o name >/dev/null 2>&1 || fail "ServiceAccount dev/reporter not found"
as=system:serviceaccount:dev:reporter
can() { kubectl auth can-i "$@" --as=$as 2>/dev/null; }
[ "$(can list configmaps -n dev)" = yes ] || fail "reporter may not list ConfigMaps in dev: bind it to a Role that allows get and list on configmaps"
[ "$(can get configmaps -n dev)" = yes ] || fail "reporter may list but not get ConfigMaps in dev: the Role needs get and list"
[ "$(can delete configmaps -n dev)" = no ] || fail "reporter may delete ConfigMaps in dev: grant only get and list"
[ "$(can list secrets -n dev)" = no ] || fail "reporter may list Secrets in dev: give it configmaps only"
[ "$(can list configmaps -n default)" = no ] || fail "reporter may list ConfigMaps outside dev: use a RoleBinding in dev, not a ClusterRoleBinding"
exit 0
