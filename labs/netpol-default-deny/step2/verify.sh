#!/usr/bin/env bash
set -u
fail() { printf '%s\n' "$1" > "${KUBELAB_REASON_FILE:-/dev/stdout}"; exit 1; }
# GETs a URL from a throwaway busybox pod in namespace $1 (extra labels in $3); prints the body.
probe() {
  kubectl -n "$1" run "kl-probe-$RANDOM$RANDOM" --rm -i --restart=Never --quiet --image=busybox:1.36 \
    --labels="kubelab.io/probe=true${3:+,$3}" --command -- sh -c 'timeout 4 wget -qO- "$0"; exit $?' "$2" 2>/dev/null
}
# GETs a URL from the running frontend pod; prints the body.
from_frontend() { kubectl -n payments exec frontend -- timeout 4 wget -qO- "$1" 2>/dev/null; }
nginx() { case "$1" in *"Welcome to nginx"*) return 0;; *) return 1;; esac; }
kubectl -n payments get networkpolicy default-deny-ingress -o name >/dev/null 2>&1 || fail "default-deny-ingress is gone: keep the default deny and add an allow policy"
kubectl -n payments get networkpolicy api-allow-frontend -o name >/dev/null 2>&1 || fail "no NetworkPolicy api-allow-frontend in payments"
ports=$(kubectl -n payments get networkpolicy api-allow-frontend -o jsonpath='{.spec.ingress[*].ports[*].port}')
[ "$ports" = 80 ] || fail "api-allow-frontend must open TCP port 80 only (its rules name ports: '${ports:-all}')"
nginx "$(from_frontend http://api.payments/)" || fail "frontend cannot reach http://api: the allow policy must let app=frontend in on port 80"
nginx "$(from_frontend http://db.payments/)" && fail "frontend reaches http://db too: open only the path to api"
nginx "$(probe payments http://api.payments/)" && fail "a pod without app=frontend reaches http://api: allow only app=frontend"
nginx "$(probe default http://api.payments/ app=frontend)" && fail "a pod labelled app=frontend in namespace default reaches http://api: allow only the frontend pods of payments"
exit 0
