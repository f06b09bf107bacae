#!/usr/bin/env bash
set -u
fail() { printf '%s\n' "$1" > "${KUBELAB_REASON_FILE:-/dev/stdout}"; exit 1; }
kubectl -n dev get sa viewer -o name >/dev/null 2>&1 || fail "ServiceAccount dev/viewer not found"
roles=$(kubectl -n dev get rolebindings -o jsonpath='{range .items[*]}{.roleRef.kind}/{.roleRef.name}|{range .subjects[*]}{.kind}:{.namespace}:{.name} {end}{"\n"}{end}' | awk -F'|' '$2 ~ /ServiceAccount:(dev)?:viewer /{print $1}')
[ -n "$roles" ] || fail "no RoleBinding in dev binds ServiceAccount viewer"
can_list=no can_delete=no
for r in $roles; do
  kind=${r%%/*} name=${r#*/}
  if [ "$kind" = Role ]; then rules=$(kubectl -n dev get role "$name" -o jsonpath='{range .rules[*]}{.resources}|{.verbs}{"\n"}{end}' 2>/dev/null) || fail "RoleBinding refers to Role $name, which does not exist"
  else rules=$(kubectl get clusterrole "$name" -o jsonpath='{range .rules[*]}{.resources}|{.verbs}{"\n"}{end}' 2>/dev/null) || fail "RoleBinding refers to ClusterRole $name, which does not exist"; fi
  while IFS='|' read -r res verbs; do
    case "$res" in *'"pods"'*|*'"*"'*) ;; *) continue;; esac
    case "$verbs" in *'"list"'*|*'"*"'*) can_list=yes;; esac
    case "$verbs" in *'"delete"'*|*'"*"'*) can_delete=yes;; esac
  done <<<"$rules"
done
[ "$can_list" = yes ] || fail "viewer may not list pods: its roles grant no list on pods"
[ "$can_delete" = no ] || fail "viewer may delete pods: grant only get, list, watch"
exit 0
