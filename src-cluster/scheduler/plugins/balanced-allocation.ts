// NodeResourcesBalancedAllocation: prefer nodes where, with the pod placed, CPU and memory are
// used in similar proportions (score = (1 - standard deviation of the fractions) × 100).
import { MAX_NODE_SCORE, type ScorePlugin } from '../types'

export function balancedScore(fractions: readonly number[]): number {
  if (fractions.length === 0) return 0
  let std: number
  if (fractions.length === 2) std = Math.abs(fractions[0]! - fractions[1]!) / 2
  else {
    const mean = fractions.reduce((a, b) => a + b, 0) / fractions.length
    std = Math.sqrt(fractions.reduce((a, f) => a + (f - mean) ** 2, 0) / fractions.length)
  }
  return Math.trunc((1 - std) * MAX_NODE_SCORE)
}

/** requested/allocatable capped at 1; resources the node does not offer are left out. */
function pushFraction(into: number[], requested: number, allocatable: number): void {
  if (allocatable > 0) into.push(Math.min(1, requested / allocatable))
}

export const balancedAllocation: ScorePlugin = {
  name: 'NodeResourcesBalancedAllocation',
  weight: 1,
  prepare({ pod }) {
    const r = pod.requests
    // A pod that requests nothing changes no balance (upstream skips best-effort pods).
    if (r.milliCPU === 0 && r.memory === 0) return undefined
    return {
      score(node) {
        const a = node.allocatable
        const f: number[] = []
        pushFraction(f, node.requested.milliCPU + r.milliCPU, a.milliCPU)
        pushFraction(f, node.requested.memory + r.memory, a.memory)
        return balancedScore(f)
      },
    }
  },
}
