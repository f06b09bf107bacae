#!/usr/bin/env bash
set -u
fail() { printf '%s\n' "$1" > "${KUBELAB_REASON_FILE:-/dev/stdout}"; exit 1; }
kubectl -n dev get pvc cache -o name >/dev/null 2>&1 || fail "PersistentVolumeClaim dev/cache not found"
c=$(kubectl -n dev get pod writer -o jsonpath='{.spec.volumes[*].persistentVolumeClaim.claimName}' 2>/dev/null) || fail "pod dev/writer not found"
case " $c " in *" cache "*) ;; *) fail "pod writer does not use claim cache";; esac
kubectl -n dev wait pvc/cache --for=jsonpath='{.status.phase}'=Bound --timeout=15s >/dev/null 2>&1 || fail "claim cache is $(kubectl -n dev get pvc cache -o jsonpath='{.status.phase}'); expected Bound"
pv=$(kubectl -n dev get pvc cache -o jsonpath='{.spec.volumeName}')
[ -n "$(kubectl get pv "$pv" -o jsonpath='{.metadata.annotations.pv\.kubernetes\.io/provisioned-by}')" ] || fail "volume $pv was not provisioned dynamically"
exit 0
