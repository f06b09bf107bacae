// TaintToleration: NoSchedule and NoExecute taints must be tolerated (filter); each untolerated
// PreferNoSchedule taint makes a node less attractive (score, fewer is better).
import type { Taint, Toleration } from 'kubernetes-types/core/v1'
import { toleratesTaint } from '../../api/node-matching'
import { MAX_NODE_SCORE, type FilterPlugin, type ScorePlugin } from '../types'

export { toleratesTaint }

export function tolerates(tolerations: readonly Toleration[], taint: Pick<Taint, 'key' | 'effect' | 'value'>): boolean {
  return tolerations.some((t) => toleratesTaint(t, taint))
}

/** The first NoSchedule/NoExecute taint the tolerations do not cover, if any. */
export function firstUntoleratedTaint(taints: readonly Taint[], tolerations: readonly Toleration[]): Taint | undefined {
  return taints.find((taint) => (taint.effect === 'NoSchedule' || taint.effect === 'NoExecute') && !tolerates(tolerations, taint))
}

export function taintReason(taint: Taint): string {
  return `node(s) had untolerated taint {${taint.key}: ${taint.value ?? ''}}`
}

export const taintTolerationFilter: FilterPlugin = {
  name: 'TaintToleration',
  prepare({ pod }) {
    const tolerations = pod.pod.spec?.tolerations ?? []
    return (node) => {
      if (node.taints.length === 0) return undefined
      const taint = firstUntoleratedTaint(node.taints, tolerations)
      return taint ? [taintReason(taint)] : undefined
    }
  },
}

/** Upstream's DefaultNormalizeScore: scale so the best raw score is 100 (reverse: the lowest). */
export function defaultNormalize(scores: number[], reverse: boolean): void {
  let max = 0
  for (const s of scores) if (s > max) max = s
  for (let i = 0; i < scores.length; i++) {
    let s = max === 0 ? 0 : Math.trunc((MAX_NODE_SCORE * scores[i]!) / max)
    if (reverse) s = MAX_NODE_SCORE - s
    scores[i] = s
  }
}

export const taintTolerationScore: ScorePlugin = {
  name: 'TaintToleration',
  weight: 3,
  prepare({ pod }) {
    // Only tolerations that can apply to PreferNoSchedule taints matter here.
    const tolerations = (pod.pod.spec?.tolerations ?? []).filter((t) => !t.effect || t.effect === 'PreferNoSchedule')
    return {
      score(node) {
        let n = 0
        for (const taint of node.taints) if (taint.effect === 'PreferNoSchedule' && !tolerates(tolerations, taint)) n++
        return n
      },
      normalize: (scores) => defaultNormalize(scores, true),
    }
  },
}
