#!/usr/bin/env bash
set -u
fail() { printf '%s\n' "$1" > "${KUBELAB_REASON_FILE:-/dev/stdout}"; exit 1; }
kubectl -n dev get deploy report >/dev/null 2>&1 || fail "Deployment dev/report not found"
pending() { kubectl -n dev get pods -l app=report -o jsonpath='{range .items[?(@.status.phase=="Pending")]}{.metadata.name}: {.status.conditions[?(@.type=="PodScheduled")].message}{"\n"}{end}' | grep -v ': $' | head -1; }
cpu=$(kubectl -n dev get deploy report -o jsonpath='{.spec.template.spec.containers[0].resources.requests.cpu}')
if [ "$cpu" = 64 ]; then msg=$(pending); fail "report has no running pod${msg:+; $msg}"; fi
if ! kubectl -n dev wait deploy/report --for=jsonpath='{.status.readyReplicas}'=1 --timeout=15s >/dev/null 2>&1; then
  msg=$(pending)
  fail "report has no ready pod${msg:+; $msg}"
fi
exit 0
