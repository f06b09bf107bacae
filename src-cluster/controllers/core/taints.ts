// Taint and toleration matching, and the taints the node lifecycle controller owns.
import type { Taint, Toleration } from 'kubernetes-types/core/v1'
import type { Informer } from '../../client'

export const TAINT_NOT_READY = 'node.kubernetes.io/not-ready'
export const TAINT_UNREACHABLE = 'node.kubernetes.io/unreachable'
export const TAINT_UNSCHEDULABLE = 'node.kubernetes.io/unschedulable'

import { toleratesTaint as tolerates } from '../../api/node-matching'
import type { PodObj } from '../../kit/objects'

export { tolerates }

export type EvictionVerdict = { kind: 'now' } | { kind: 'never' } | { kind: 'after'; seconds: number }

/**
 * What NoExecute taints mean for a pod with these tolerations: evict now (some taint is not
 * tolerated), never (all tolerated without a time limit), or after the smallest tolerationSeconds.
 */
export function evictionVerdict(taints: readonly Taint[], tols: readonly Toleration[]): EvictionVerdict {
  let min = Infinity
  for (const taint of taints) {
    if (taint.effect !== 'NoExecute') continue
    const matching = tols.filter((t) => tolerates(t, taint))
    if (matching.length === 0) return { kind: 'now' }
    for (const t of matching) if (typeof t.tolerationSeconds === 'number') min = Math.min(min, Math.max(0, t.tolerationSeconds))
  }
  return min === Infinity ? { kind: 'never' } : { kind: 'after', seconds: min }
}

const POD_NODE_INDEX = 'core/spec.nodeName'

/** Pods by spec.nodeName over a shared pod informer (the index is added once per informer). */
export function podsOnNode(pods: Informer<PodObj>): (node: string) => PodObj[] {
  pods.addIndexer(POD_NODE_INDEX, (p) => (p.spec?.nodeName ? [p.spec.nodeName] : []))
  return (node) => pods.byIndex(POD_NODE_INDEX, node)
}
