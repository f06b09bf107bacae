#!/usr/bin/env bash
set -u
fail() { printf '%s\n' "$1" > "${KUBELAB_REASON_FILE:-/dev/stdout}"; exit 1; }
m=$(kubectl -n dev get configmap app-config -o jsonpath='{.data.APP_MODE}' 2>/dev/null) || fail "ConfigMap dev/app-config not found"
[ "$m" = prod ] || fail "app-config data APP_MODE is '$m'; expected prod"
ref=$(kubectl -n dev get pod cfg -o jsonpath='{.spec.containers[0].envFrom[*].configMapRef.name}' 2>/dev/null) || fail "pod dev/cfg not found"
case " $ref " in *" app-config "*) ;; *) fail "pod cfg has no envFrom configMapRef app-config";; esac
kubectl -n dev wait pod/cfg --for=condition=Ready --timeout=15s >/dev/null 2>&1 || fail "pod cfg is not Ready (phase $(kubectl -n dev get pod cfg -o jsonpath='{.status.phase}'))"
# The environment of the container's main process, as the app sees it.
v=$(kubectl -n dev exec cfg -- sh -c 'tr "\0" "\n" < /proc/1/environ | sed -n "s/^APP_MODE=//p"' 2>/dev/null)
[ "$v" = prod ] || fail "inside pod cfg, APP_MODE is '${v}'; expected prod (envFrom is read when the container starts: recreate the pod)"
exit 0
