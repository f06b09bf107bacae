#!/usr/bin/env bash
set -u
fail() { printf '%s\n' "$1" > "${KUBELAB_REASON_FILE:-/dev/stdout}"; exit 1; }
kubectl -n dev get deploy report -o name >/dev/null 2>&1 || fail "Deployment dev/report not found"
init=$(kubectl -n dev get deploy report -o jsonpath='{range .spec.template.spec.initContainers[?(@.name=="render")]}{.image}{end}')
[ -n "$init" ] || fail "the init container render is gone: the page it renders is part of report; fix its image instead"
stuck() { kubectl -n dev get pods -l app=report -o jsonpath='{range .items[*]}{.metadata.name} is in {.status.initContainerStatuses[0].state.waiting.reason}: {.status.initContainerStatuses[0].state.waiting.message}{"\n"}{end}' | grep -E ' is in (ErrImagePull|ImagePullBackOff)' | head -1 | cut -c1-300; }
case "$init" in
  busybox:1.36|docker.io/library/busybox:1.36) ;;
  *) msg=$(stuck); fail "init container render uses image $init, not the team's busybox:1.36${msg:+; pod $msg}" ;;
esac
if ! kubectl -n dev rollout status deploy/report --timeout=20s >/dev/null 2>&1; then
  msg=$(stuck)
  fail "the rollout of report has not finished${msg:+; pod $msg}"
fi
ready=$(kubectl -n dev get deploy report -o jsonpath='{.status.readyReplicas}')
[ "${ready:-0}" -ge 1 ] || fail "report has no ready pod"
exit 0
