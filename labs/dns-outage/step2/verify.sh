#!/usr/bin/env bash
set -u
fail() { printf '%s\n' "$1" > "${KUBELAB_REASON_FILE:-/dev/stdout}"; exit 1; }
kubectl -n shop get deploy report -o name >/dev/null 2>&1 || fail "Deployment shop/report not found"
pol=$(kubectl -n shop get deploy report -o jsonpath='{.spec.template.spec.dnsPolicy}')
case "${pol:-ClusterFirst}" in
  ClusterFirst|ClusterFirstWithHostNet) ;;
  *) fail "report's pods use dnsPolicy ${pol}: they ask the node's resolver, which cannot resolve cluster names";;
esac
cmd=$(kubectl -n shop get deploy report -o jsonpath='{.spec.template.spec.containers[0].command} {.spec.template.spec.containers[0].args}')
case "$cmd" in *'http://api'*) ;; *) fail "report no longer calls the Service by name (http://api...): keep the name and fix the lookup";; esac
kubectl -n shop rollout status deploy/report --timeout=20s >/dev/null 2>&1 || fail "Deployment report has not finished rolling out the change"
# The pods of the current rollout only: an old one may still be terminating.
pods() { kubectl -n shop get pods -l app=report -o go-template='{{range .items}}{{if not .metadata.deletionTimestamp}}{{.metadata.name}}{{"\n"}}{{end}}{{end}}'; }
last=''
for i in $(seq 1 10); do
  for p in $(pods); do
    last=$(kubectl -n shop logs "$p" --tail=1 2>&1)
    case "$last" in *'api v1'*) exit 0;; esac
  done
  sleep 1
done
fail "report's pod gets no answer from api: its last line is '$last'"
