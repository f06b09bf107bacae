#!/usr/bin/env bash
set -u
fail() { printf '%s\n' "$1" > "${KUBELAB_REASON_FILE:-/dev/stdout}"; exit 1; }
s=$(kubectl -n dev get hpa web -o jsonpath='{.spec.scaleTargetRef.kind}/{.spec.scaleTargetRef.name}|{.spec.minReplicas}|{.spec.maxReplicas}|{.spec.metrics[0].resource.name}|{.spec.metrics[0].resource.target.averageUtilization}' 2>/dev/null) || fail "HorizontalPodAutoscaler dev/web not found"
IFS='|' read -r ref min max res util <<<"$s"
[ "$ref" = Deployment/web ] || fail "the autoscaler targets $ref; expected Deployment/web"
[ "$min" = 2 ] || fail "minReplicas is '${min}'; expected 2"
[ "$max" = 5 ] || fail "maxReplicas is '${max}'; expected 5"
[ "$res" = cpu ] && [ "$util" = 50 ] || fail "target is ${res:-none} ${util:-?}%; expected cpu 50%"
exit 0
