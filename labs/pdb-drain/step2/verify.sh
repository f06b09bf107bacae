#!/usr/bin/env bash
set -u
fail() { printf '%s\n' "$1" > "${KUBELAB_REASON_FILE:-/dev/stdout}"; exit 1; }
u=$(kubectl get node "$KUBELAB_NODE_W1" -o jsonpath='{.spec.unschedulable}')
[ "$u" = true ] || fail "node $KUBELAB_NODE_W1 is not cordoned (spec.unschedulable is '${u}')"
left=$(kubectl get pods -A --field-selector spec.nodeName="$KUBELAB_NODE_W1" -o jsonpath='{range .items[*]}{.metadata.namespace}/{.metadata.name}:{.metadata.ownerReferences[0].kind}{"\n"}{end}' | grep -v ':DaemonSet$' | grep . || true)
[ -z "$left" ] || fail "pods still on $KUBELAB_NODE_W1: $(echo $left)"
d=web want=3
if ! kubectl -n dev wait "deploy/$d" --for=jsonpath='{.status.readyReplicas}'="$want" --timeout=15s >/dev/null 2>&1; then
  ready=$(kubectl -n dev get deploy "$d" -o jsonpath='{.status.readyReplicas}')
  fail "${ready:-0} of $want replicas of Deployment dev/$d are ready"
fi
exit 0
