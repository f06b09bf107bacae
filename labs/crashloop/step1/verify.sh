#!/usr/bin/env bash
set -u
fail() { printf '%s\n' "$1" > "${KUBELAB_REASON_FILE:-/dev/stdout}"; exit 1; }
kubectl -n dev get deploy worker -o name >/dev/null 2>&1 || fail "Deployment dev/worker not found"
mode=$(kubectl -n dev get deploy worker -o jsonpath='{.spec.template.spec.containers[0].env[?(@.name=="MODE")].value}')
[ -n "$mode" ] || fail "the container of worker still has no MODE variable: see kubectl -n dev logs deploy/worker"
kubectl -n dev rollout status deploy/worker --timeout=15s >/dev/null 2>&1 || fail "Deployment worker has not rolled out a working pod yet"
bad=$(kubectl -n dev get pods -l app=worker -o jsonpath='{range .items[*]}{.metadata.name}={.status.containerStatuses[0].state.waiting.reason}{" "}{end}' | tr ' ' '\n' | grep -E 'CrashLoopBackOff|Error' || true)
[ -z "$bad" ] || fail "pods still crash-looping: $bad"
r=$(kubectl -n dev get deploy worker -o jsonpath='{.status.readyReplicas}')
[ "${r:-0}" -ge 1 ] || fail "no pod of worker is ready"
exit 0
