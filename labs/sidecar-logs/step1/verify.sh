#!/usr/bin/env bash
set -u
fail() { printf '%s\n' "$1" > "${KUBELAB_REASON_FILE:-/dev/stdout}"; exit 1; }
pod() { kubectl -n logging get pod app -o jsonpath="$1" 2>/dev/null; }
kubectl -n logging get pod app -o name >/dev/null 2>&1 || fail "Pod logging/app not found"
# Regular containers and native sidecars (init containers with restartPolicy Always) both count.
names=$(pod '{range .spec.containers[*]}{.name}{" "}{end}{range .spec.initContainers[*]}{.name}{" "}{end}')
case " $names" in *' log-shipper '*) ;; *) fail "pod app has no container log-shipper (containers: $names)";; esac
case " $names" in *' app '*) ;; *) fail "pod app has no container app any more: keep the app as it was";; esac
cmd=$(pod '{.spec.containers[?(@.name=="app")].command}')
case "$cmd" in *'/var/log/app/app.log'*) ;; *) fail "container app's command changed: keep the app as it was, it writes /var/log/app/app.log";; esac
mounts() { pod "{range .spec.containers[?(@.name==\"$1\")].volumeMounts[?(@.mountPath==\"/var/log/app\")]}{.name}{end}{range .spec.initContainers[?(@.name==\"$1\")].volumeMounts[?(@.mountPath==\"/var/log/app\")]}{.name}{end}"; }
va=$(mounts app); vs=$(mounts log-shipper)
[ -n "$va" ] || fail "container app mounts no volume at /var/log/app: its log stays in its own filesystem"
[ -n "$vs" ] || fail "container log-shipper mounts no volume at /var/log/app"
[ "$va" = "$vs" ] || fail "app mounts volume $va and log-shipper mounts $vs at /var/log/app: they must share one volume"
ed=$(pod "{.spec.volumes[?(@.name==\"$va\")].emptyDir}")
[ -n "$ed" ] || fail "volume $va is not an emptyDir: use an emptyDir, which lives exactly as long as the pod"
kubectl -n logging wait pod/app --for=condition=Ready --timeout=20s >/dev/null 2>&1 || fail "pod app is not Ready: kubectl -n logging describe pod app"
# A line written now by the app container must come out of the sidecar's stdout.
mark="kubelab-check-$RANDOM$RANDOM"
kubectl -n logging exec app -c app -- sh -c "echo $mark >> /var/log/app/app.log" >/dev/null 2>&1 || fail "could not write to /var/log/app/app.log in container app"
for i in $(seq 1 10); do
  kubectl -n logging logs app -c log-shipper --tail=50 2>/dev/null | grep -q "$mark" && exit 0
  sleep 1
done
fail "a line written to /var/log/app/app.log in container app did not appear in kubectl logs app -c log-shipper: does the sidecar follow that file (tail -F)?"
