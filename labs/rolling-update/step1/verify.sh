#!/usr/bin/env bash
set -u
fail() { printf '%s\n' "$1" > "${KUBELAB_REASON_FILE:-/dev/stdout}"; exit 1; }
img=$(kubectl -n dev get deploy web -o jsonpath='{.spec.template.spec.containers[0].image}' 2>/dev/null) || fail "Deployment dev/web not found"
[ "$img" = nginx:1.27-alpine ] || fail "image is $img; expected nginx:1.27-alpine"
kubectl -n dev rollout status deploy/web --timeout=15s >/dev/null 2>&1 || fail "the rollout of dev/web has not finished"
r=$(kubectl -n dev get deploy web -o jsonpath='{.status.replicas}/{.status.updatedReplicas}/{.status.availableReplicas}')
IFS=/ read -r rep upd avail <<<"$r"
[ "$rep" = "$upd" ] && [ "$upd" = "$avail" ] || fail "replicas $rep, updated ${upd:-0}, available ${avail:-0}: not all replicas run the new image"
revs=$(kubectl -n dev get rs -l app=web -o jsonpath='{range .items[*]}{.metadata.annotations.deployment\.kubernetes\.io/revision}{"\n"}{end}' | grep -c .)
[ "$revs" -ge 2 ] || fail "rollout history shows $revs revision(s); expected at least 2"
exit 0
