#!/usr/bin/env bash
set -u
fail() { printf '%s\n' "$1" > "${KUBELAB_REASON_FILE:-/dev/stdout}"; exit 1; }
t=$(kubectl get node "$KUBELAB_NODE_W2" -o jsonpath='{range .spec.taints[*]}{.key}={.value}:{.effect}{" "}{end}')
case " $t" in *" dedicated=infra:NoSchedule "*) ;; *) fail "node $KUBELAB_NODE_W2 has no taint dedicated=infra:NoSchedule (taints: ${t:-none})";; esac
tol=$(kubectl -n dev get pod infra -o jsonpath='{.spec.tolerations[*].key}' 2>/dev/null) || fail "pod dev/infra not found"
case " $tol " in *" dedicated "*) ;; *) fail "pod infra has no toleration for key dedicated";; esac
n=$(kubectl -n dev get pod infra -o jsonpath='{.spec.nodeName}')
[ "$n" = "$KUBELAB_NODE_W2" ] || fail "pod infra runs on '${n:-no node}'; expected $KUBELAB_NODE_W2"
exit 0
