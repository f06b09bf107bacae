#!/usr/bin/env bash
set -u
fail() { printf '%s\n' "$1" > "${KUBELAB_REASON_FILE:-/dev/stdout}"; exit 1; }
# Fetch a URL from a throwaway busybox pod in namespace $1 (extra pod labels in $3); prints the body.
probe() {
  kubectl -n "$1" run "kl-probe-$RANDOM$RANDOM" --rm -i --restart=Never --quiet --image=busybox:1.36 \
    --labels="kubelab.io/probe=true${3:+,$3}" --command -- sh -c 'timeout 4 wget -qO- "$0"; exit $?' "$2" 2>/dev/null
}
pols=$(kubectl -n secure get networkpolicies -o jsonpath='{range .items[*]}{.metadata.name}={.spec.podSelector.matchLabels.app}{"\n"}{end}')
echo "$pols" | grep -q '=db$' || fail "no NetworkPolicy in secure selects the db pod (podSelector app=db)"
body=$(probe secure http://db.secure/ role=frontend)
case "$body" in *'Welcome to nginx'*) ;; *) fail "a pod labelled role=frontend cannot reach http://db.secure/: the policy must allow it";; esac
body=$(probe secure http://db.secure/)
case "$body" in *'Welcome to nginx'*) fail "a pod without role=frontend still reaches http://db.secure/: the policy must deny it";; esac
exit 0
