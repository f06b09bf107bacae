// The YAML a person reads and edits: managedFields are bookkeeping nobody edits by hand.
import { stringify } from 'yaml'
import type { KubeObject } from '../../../src-cluster/api/object'

export function forDisplay(obj: KubeObject): Record<string, unknown> {
  const copy = structuredClone(obj) as Record<string, unknown> & { metadata?: Record<string, unknown> }
  if (copy.metadata) delete copy.metadata.managedFields
  return copy
}

export function toYaml(obj: KubeObject): string {
  return stringify(forDisplay(obj), { lineWidth: 0 })
}
