#!/usr/bin/env bash
set -u
fail() { printf '%s\n' "$1" > "${KUBELAB_REASON_FILE:-/dev/stdout}"; exit 1; }
# Fetch a URL from a throwaway busybox pod in namespace $1 (extra pod labels in $3); prints the body.
probe() {
  kubectl -n "$1" run "kl-probe-$RANDOM$RANDOM" --rm -i --restart=Never --quiet --image=busybox:1.36 \
    --labels="kubelab.io/probe=true${3:+,$3}" --command -- sh -c 'timeout 4 wget -qO- "$0"; exit $?' "$2" 2>/dev/null
}
ip=$(kubectl -n dev get pod nginx -o jsonpath='{.status.podIP}' 2>/dev/null)
[ -n "$ip" ] || fail "Pod dev/nginx has no IP: is it still running?"
body=$(probe dev "http://$ip/hello.html")
case "$body" in *'hello from exec'*) ;; '') fail "http://$ip/hello.html (pod nginx) answered nothing: the file /usr/share/nginx/html/hello.html does not exist yet";; *) fail "hello.html says '$(printf %s "$body" | head -c 60)'; expected 'hello from exec'";; esac
exit 0
