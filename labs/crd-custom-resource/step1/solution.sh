#!/usr/bin/env bash
set -eu
kubectl apply -f - <<'YAML'
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: { name: backups.stable.example.com }
spec:
  group: stable.example.com
  scope: Namespaced
  names: { plural: backups, singular: backup, kind: Backup, shortNames: [bk] }
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            required: [schedule]
            properties:
              schedule: { type: string, description: "When to run, in cron format." }
              retentionDays: { type: integer, minimum: 1, description: "How many days to keep each backup." }
YAML
kubectl wait crd/backups.stable.example.com --for=condition=Established --timeout=30s
