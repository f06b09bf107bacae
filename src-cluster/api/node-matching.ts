// Matching rules every component shares: whether a toleration tolerates a taint, and whether
// a node selector requirement matches a label value (scheduler, DaemonSet controller, taint
// manager all decide with these, as upstream's component-helpers do).
import type { NodeSelectorRequirement, Taint, Toleration } from 'kubernetes-types/core/v1'

/** Upstream's Toleration.ToleratesTaint. */
export function toleratesTaint(toleration: Toleration, taint: Pick<Taint, 'key' | 'effect' | 'value'>): boolean {
  if (toleration.effect && toleration.effect !== taint.effect) return false
  if (toleration.key && toleration.key !== taint.key) return false
  switch (toleration.operator ?? 'Equal') {
    case 'Exists':
      return true
    case 'Equal':
      return (toleration.value ?? '') === (taint.value ?? '')
    default:
      return false
  }
}

function intValue(s: string): bigint | undefined {
  return /^-?\d+$/.test(s) ? BigInt(s) : undefined
}

/** One matchExpressions/matchFields requirement against the node's value for its key. */
export function nodeRequirementMatches(requirement: NodeSelectorRequirement, value: string | undefined): boolean {
  const values = requirement.values ?? []
  switch (requirement.operator) {
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
      return requirement.operator === 'Gt' ? a > b : a < b
    }
    default:
      return false
  }
}
