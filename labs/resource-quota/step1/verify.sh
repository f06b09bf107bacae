#!/usr/bin/env bash
set -u
fail() { printf '%s\n' "$1" > "${KUBELAB_REASON_FILE:-/dev/stdout}"; exit 1; }
ns=budget
# Quantities as numbers: CPU in millicores, memory in bytes (suffixes as Kubernetes writes them).
QFN='function q(s, cpu,   n, u, m) {
  if (s == "") return -1
  n = s; sub(/[A-Za-z]+$/, "", n); u = substr(s, length(n) + 1)
  m = 1
  if (u == "m") m = 0.001; else if (u == "k") m = 1e3; else if (u == "M") m = 1e6; else if (u == "G") m = 1e9; else if (u == "T") m = 1e12
  else if (u == "Ki") m = 1024; else if (u == "Mi") m = 1048576; else if (u == "Gi") m = 1073741824; else if (u == "Ti") m = 1099511627776
  return int(n * m * (cpu ? 1000 : 1) + 0.5)
}'
is() { awk -v s="$1" -v want="$2" -v cpu="$3" "$QFN"' BEGIN { exit !(q(s, cpu) == q(want, cpu)) }'; }

# The platform team's objects, unchanged: deleting, raising or scoping them away is not a fix.
kubectl -n $ns get resourcequota compute -o name >/dev/null 2>&1 || fail "ResourceQuota budget/compute is gone: the platform team's quota must stay (restart the lab with Reset)"
hard() { kubectl -n $ns get resourcequota compute -o jsonpath="{.spec.hard.${1//./\\.}}"; }
for kv in pods=5:0 requests.cpu=1:1 requests.memory=1Gi:0 limits.cpu=2:1 limits.memory=2Gi:0; do
  key=${kv%%=*}; rest=${kv#*=}; want=${rest%%:*}; cpu=${rest##*:}
  got=$(hard "$key")
  is "$got" "$want" "$cpu" || fail "ResourceQuota compute has ${key}=${got:-unset}, the platform team set ${want}: size api to fit the quota instead of changing it"
done
[ -z "$(kubectl -n $ns get resourcequota compute -o jsonpath='{.spec.scopes}{.spec.scopeSelector}')" ] || fail "ResourceQuota compute has scopes now, so it no longer covers every pod: leave it as it was"
kubectl -n $ns get limitrange container-limits -o name >/dev/null 2>&1 || fail "LimitRange budget/container-limits is gone: the platform team's LimitRange must stay (restart the lab with Reset)"
lr() { kubectl -n $ns get limitrange container-limits -o jsonpath="{.spec.limits[?(@.type==\"Container\")].$1}"; }
for kv in max.cpu=500m:1 max.memory=512Mi:0 min.cpu=100m:1 min.memory=64Mi:0; do
  key=${kv%%=*}; rest=${kv#*=}; want=${rest%%:*}; cpu=${rest##*:}
  got=$(lr "$key")
  is "$got" "$want" "$cpu" || fail "LimitRange container-limits has Container ${key}=${got:-unset}, the platform team set ${want}: size api to fit it instead of changing it"
done

# The Deployment as asked.
kubectl -n $ns get deploy api -o name >/dev/null 2>&1 || fail "Deployment budget/api not found"
r=$(kubectl -n $ns get deploy api -o jsonpath='{.spec.replicas}')
[ "$r" = 3 ] || fail "api has ${r} replicas, the app needs 3"
img=$(kubectl -n $ns get deploy api -o jsonpath='{.spec.template.spec.containers[*].image}')
[ "$img" = nginx:1.27 ] || fail "api runs image '${img}', expected nginx:1.27 in one container"

# The pods really run: all 3 ready, none refused. A refusal of the current ReplicaSet is reported
# at once (after a short grace for a rollout just started), otherwise the rollout gets 20 s.
current_failure() {
  local rev; rev=$(kubectl -n $ns get deploy api -o jsonpath='{.metadata.annotations.deployment\.kubernetes\.io/revision}')
  kubectl -n $ns get rs -l app=api -o jsonpath="{range .items[?(@.metadata.annotations.deployment\.kubernetes\.io/revision==\"${rev}\")]}{.status.conditions[?(@.type==\"ReplicaFailure\")].message}{end}" 2>/dev/null
}
start=$SECONDS; ok=; why=
while [ $((SECONDS - start)) -lt 20 ]; do
  if kubectl -n $ns rollout status deploy/api --timeout=1s >/dev/null 2>&1; then ok=1; break; fi
  # The ReplicaSet drops its ReplicaFailure condition on any sync that creates nothing and sets it
  # again on the next refusal (as upstream's): keep the last one seen, not the last read.
  w=$(current_failure); [ -n "$w" ] && why=$w
  [ -n "$why" ] && [ $((SECONDS - start)) -ge 3 ] && break
  sleep 1
done
if [ -z "$ok" ]; then
  ready=$(kubectl -n $ns get deploy api -o jsonpath='{.status.readyReplicas}')
  fail "api has ${ready:-0} of 3 pods ready${why:+; its ReplicaSet reports: ${why}} (kubectl -n budget describe rs -l app=api)"
fi

# Asked for in the task: sizes chosen by the learner, not filled in by the LimitRange's defaults.
set_res=$(kubectl -n $ns get deploy api -o jsonpath='{range .spec.template.spec.containers[*]}requests cpu={.resources.requests.cpu} memory={.resources.requests.memory}, limits cpu={.resources.limits.cpu} memory={.resources.limits.memory}{end}')
case "$set_res," in *=\ * | *=,*) fail "api's container leaves some of its requests and limits to the LimitRange's defaults (${set_res}): give CPU and memory requests and limits explicitly" ;; esac

# What runs now is within the LimitRange per container and the quota in sum, so the pods were
# admitted under both (not made while one was deleted and then put back).
tpl='{range .items[*]}{.metadata.name}{"\t"}{.metadata.deletionTimestamp}{"\t"}{.status.phase}{"\t"}{.status.conditions[?(@.type=="Ready")].status}{"\t"}{.metadata.labels.app}{"\t"}{range .spec.containers[*]}{.name},{.resources.requests.cpu},{.resources.requests.memory},{.resources.limits.cpu},{.resources.limits.memory};{end}{"\n"}{end}'
pods=$(kubectl -n $ns get pods -o jsonpath="$tpl") || fail "cannot list the pods of namespace budget"
verdict=$(printf '%s\n' "$pods" | awk -F'\t' "$QFN"'
  $1 == "" || $2 != "" || $3 == "Succeeded" || $3 == "Failed" { next }
  {
    if ($5 == "api" && $3 == "Running" && $4 == "True") ready++
    n = split($6, cs, ";")
    for (i = 1; i <= n; i++) {
      if (cs[i] == "") continue
      split(cs[i], f, ",")
      rc += q(f[2], 1); rm += q(f[3], 0); lc += q(f[4], 1); lm += q(f[5], 0)
      if ($5 == "api" && (q(f[4], 1) > 500 || q(f[5], 0) > 536870912 || q(f[2], 1) < 100 || q(f[3], 0) < 67108864)) {
        if (bad == "") bad = "pod " $1 " container " f[1] " has requests " f[2] "/" f[3] " and limits " f[4] "/" f[5] ", outside the LimitRange (100m-500m CPU, 64Mi-512Mi memory)"
      }
    }
  }
  END {
    if (bad != "") { print bad; exit }
    if (ready != 3) { print "api has " (ready + 0) " running and ready pods, expected 3"; exit }
    if (rc > 1000 || rm > 1073741824 || lc > 2000 || lm > 2147483648) {
      printf "the pods of namespace budget use requests %dm CPU / %dMi memory and limits %dm / %dMi together, over the quota (requests 1 CPU / 1Gi, limits 2 CPU / 2Gi)\n", rc, rm / 1048576, lc, lm / 1048576; exit
    }
  }')
[ -z "$verdict" ] || fail "$verdict"
exit 0
