// Matching rules every component shares: whether a toleration tolerates a taint, and whether
// a node selector requirement matches a label value (scheduler, DaemonSet controller, taint
// manager all decide with these, as upstream's component-helpers do).
import type { NodeSelectorRequirement, Taint, Toleration } from 'kubernetes-types/core/v1'

/** Upstream's Toleration.ToleratesTaint. */
export function toleratesTaint(t: Toleration, taint: Pick<Taint, 'key' | 'effect' | 'value'>): boolean {
  if (t.effect && t.effect !== taint.effect) return false
  if (t.key && t.key !== taint.key) return false
  switch (t.operator ?? 'Equal') {
    case 'Exists':
      return true
    case 'Equal':
      return (t.value ?? '') === (taint.value ?? '')
    default:
      return false
  }
}

function intValue(s: string): bigint | undefined {
  return /^-?\d+$/.test(s) ? BigInt(s) : undefined
}

/** One matchExpressions/matchFields requirement against the node's value for its key. */
export function nodeRequirementMatches(r: NodeSelectorRequirement, value: string | undefined): boolean {
  const values = r.values ?? []
  switch (r.operator) {
    case 'In':
      return value !== undefined && values.includes(value)
    case 'NotIn':
      return value === undefined || !values.includes(value)
    case 'Exists':
      return value !== undefined
    case 'DoesNotExist':
      return value === undefined
    case 'Gt':
    case 'Lt': {
      if (value === undefined || values.length !== 1) return false
      const a = intValue(value)
      const b = intValue(values[0]!)
      if (a === undefined || b === undefined) return false
      return r.operator === 'Gt' ? a > b : a < b
    }
    default:
      return false
  }
}
