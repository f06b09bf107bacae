#!/usr/bin/env bash
set -u
fail() { printf '%s\n' "$1" > "${KUBELAB_REASON_FILE:-/dev/stdout}"; exit 1; }
m=$(kubectl -n dev get configmap app-config -o jsonpath='{.data.APP_MODE}' 2>/dev/null) || fail "ConfigMap dev/app-config not found"
[ "$m" = prod ] || fail "app-config data APP_MODE is '$m'; expected prod"
ref=$(kubectl -n dev get pod cfg -o jsonpath='{.spec.containers[0].envFrom[*].configMapRef.name}' 2>/dev/null) || fail "pod dev/cfg not found"
case " $ref " in *" app-config "*) ;; *) fail "pod cfg has no envFrom configMapRef app-config";; esac
exit 0
