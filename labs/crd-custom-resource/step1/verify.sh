#!/usr/bin/env bash
set -u
fail() { printf '%s\n' "$1" > "${KUBELAB_REASON_FILE:-/dev/stdout}"; exit 1; }
crd=backups.stable.example.com
get() { kubectl get crd "$crd" -o jsonpath="$1" 2>/dev/null; }
kubectl get crd "$crd" -o name >/dev/null 2>&1 || fail "no CustomResourceDefinition $crd (its name is <plural>.<group>)"
[ "$(get '{.spec.names.kind}')" = Backup ] || fail "the CRD's kind is '$(get '{.spec.names.kind}')', expected Backup"
[ "$(get '{.spec.scope}')" = Namespaced ] || fail "the CRD's scope is $(get '{.spec.scope}'): Backups live in namespaces"
case " $(get '{.spec.names.shortNames[*]}') " in *' bk '*) ;; *) fail "the CRD has no short name bk";; esac
v=$(get '{.spec.versions[?(@.storage==true)].name}')
[ "$v" = v1 ] || fail "the stored version is '$v', expected v1"
kubectl wait crd/"$crd" --for=condition=Established --timeout=10s >/dev/null 2>&1 || fail "the CRD is not Established: kubectl get crd $crd -o yaml shows its conditions"
# What the schema must do, asked of the API server itself (dry runs store nothing).
try() { printf 'apiVersion: stable.example.com/v1\nkind: Backup\nmetadata: {name: kl-verify, namespace: ops}\nspec: %s\n' "$1" | kubectl create --dry-run=server -f - 2>&1; }
out=$(try '{schedule: "0 1 * * *", retentionDays: 3}') || fail "a valid Backup is refused: $out"
out=$(try '{retentionDays: 3}') && fail "a Backup without spec.schedule is accepted: mark schedule as required in the schema"
out=$(try '{schedule: "0 1 * * *", retentionDays: "seven"}') && fail "a Backup with retentionDays: \"seven\" is accepted: give retentionDays type integer"
out=$(try '{schedule: "0 1 * * *", retentionDays: 0}') && fail "a Backup with retentionDays: 0 is accepted: give retentionDays minimum 1"
ex=$(kubectl explain backup.spec 2>&1) || fail "kubectl explain backup.spec fails: $ex"
case "$ex" in *retentionDays*) ;; *) fail "kubectl explain backup.spec does not list retentionDays";; esac
exit 0
