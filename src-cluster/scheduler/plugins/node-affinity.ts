// NodeAffinity: spec.nodeSelector and required node affinity filter nodes (terms are ORed,
// expressions within a term ANDed); preferred terms add their weight to nodes they match.
import type { NodeSelectorTerm } from 'kubernetes-types/core/v1'
import { nodeRequirementMatches } from '../../api/node-matching'
import type { NodeInfo } from '../node-info'
import type { FilterPlugin, ScorePlugin } from '../types'
import { defaultNormalize } from './taint-toleration'
import type { PodObj } from '../../kit/objects'

export const REASON_NODE_AFFINITY = "node(s) didn't match Pod's node affinity/selector"

/** One nodeSelectorTerm; a term with neither expressions nor fields matches no node. */
export function termMatches(nodeSelectorTerm: NodeSelectorTerm, node: NodeInfo): boolean {
  const exprs = nodeSelectorTerm.matchExpressions ?? []
  const fields = nodeSelectorTerm.matchFields ?? []
  if (exprs.length === 0 && fields.length === 0) return false
  for (const r of exprs) if (!nodeRequirementMatches(r, node.labels[r.key])) return false
  for (const r of fields) {
    // metadata.name is the only field upstream supports in node selector terms.
    if (r.key !== 'metadata.name' || !nodeRequirementMatches(r, node.name)) return false
  }
  return true
}

/** nodeSelector AND (any required nodeSelectorTerm): upstream's RequiredNodeAffinity. */
export function requiredNodeAffinity(pod: PodObj): ((node: NodeInfo) => boolean) | undefined {
  const selector = Object.entries(pod.spec?.nodeSelector ?? {})
  const terms = pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms
  if (selector.length === 0 && !terms) return undefined
  return (node) => {
    for (const [k, v] of selector) if (node.labels[k] !== v) return false
    return !terms || terms.some((t) => termMatches(t, node))
  }
}

export const nodeAffinityFilter: FilterPlugin = {
  name: 'NodeAffinity',
  prepare({ pod }) {
    const matches = requiredNodeAffinity(pod.pod)
    if (!matches) return undefined
    return (node) => (matches(node) ? undefined : [REASON_NODE_AFFINITY])
  },
}

export const nodeAffinityScore: ScorePlugin = {
  name: 'NodeAffinity',
  weight: 2,
  prepare({ pod }) {
    const preferred = pod.pod.spec?.affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? []
    if (preferred.length === 0) return undefined
    return {
      score(node) {
        let s = 0
        for (const p of preferred) if (p.weight !== 0 && termMatches(p.preference, node)) s += p.weight
        return s
      },
      normalize: (scores) => defaultNormalize(scores, false),
    }
  },
}
