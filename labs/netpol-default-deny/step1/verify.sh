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
kubectl -n payments get networkpolicy default-deny-ingress -o name >/dev/null 2>&1 || fail "no NetworkPolicy default-deny-ingress in payments"
sel=$(kubectl -n payments get networkpolicy default-deny-ingress -o jsonpath='{.spec.podSelector}')
case "$sel" in ''|'{}') ;; *) fail "default-deny-ingress selects only some pods ($sel): use an empty podSelector to select every pod";; esac
types=$(kubectl -n payments get networkpolicy default-deny-ingress -o jsonpath='{.spec.policyTypes}')
case "$types" in *Egress*) fail "default-deny-ingress also isolates egress (policyTypes $types): this step denies incoming traffic only";; esac
rules=$(kubectl -n payments get networkpolicy default-deny-ingress -o jsonpath='{.spec.ingress}')
[ -z "$rules" ] || fail "default-deny-ingress has ingress rules ($rules): a default deny allows nothing"
nginx "$(from_frontend http://api.payments/)" && fail "frontend still reaches http://api: the policy must deny all ingress"
nginx "$(probe payments http://db.payments/)" && fail "a pod in payments still reaches http://db: the policy must deny all ingress"
nginx "$(probe default http://api.payments/)" && fail "a pod in namespace default still reaches http://api.payments: the policy must deny all ingress"
exit 0
