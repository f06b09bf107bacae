// NodeResourcesFit: the pod's requests must fit in allocatable minus what bound and assumed
// pods already request (filter); LeastAllocated prefers nodes with more room left (score).
import type { NodeInfo } from '../node-info'
import { MAX_NODE_SCORE, type FilterPlugin, type PodInfo, type ScorePlugin } from '../types'

export const REASON_TOO_MANY_PODS = 'Too many pods'

/**
 * Every reason the pod does not fit on the node (upstream reports them all, not just the first);
 * undefined when it fits (asked for every node for every pod: no array made then).
 */
export function insufficientResources(pod: PodInfo, node: NodeInfo): string[] | undefined {
  let out: string[] | undefined
  if (node.pods.size + 1 > node.allowedPods) (out ??= []).push(REASON_TOO_MANY_PODS)
  const r = pod.requests
  const a = node.allocatable
  const used = node.requested
  if (r.milliCPU > 0 && r.milliCPU > a.milliCPU - used.milliCPU) (out ??= []).push('Insufficient cpu')
  if (r.memory > 0 && r.memory > a.memory - used.memory) (out ??= []).push('Insufficient memory')
  if (r.ephemeralStorage > 0 && r.ephemeralStorage > a.ephemeralStorage - used.ephemeralStorage) (out ??= []).push('Insufficient ephemeral-storage')
  if (r.scalar.size > 0) {
    for (const [name, v] of [...r.scalar].sort(([x], [y]) => (x < y ? -1 : 1))) {
      if (v > 0 && v > (a.scalar.get(name) ?? 0) - (used.scalar.get(name) ?? 0)) (out ??= []).push(`Insufficient ${name}`)
    }
  }
  return out
}

export const nodeResourcesFitFilter: FilterPlugin = {
  name: 'NodeResourcesFit',
  prepare({ pod }) {
    return (node) => {
      return insufficientResources(pod, node)
    }
  },
}

/** Upstream's leastRequestedScore: the share of capacity left free, 0..100. */
export function leastRequested(requested: number, capacity: number): number {
  if (capacity <= 0 || requested > capacity) return 0
  return Math.trunc(((capacity - requested) * MAX_NODE_SCORE) / capacity)
}

export const nodeResourcesFitScore: ScorePlugin = {
  name: 'NodeResourcesFit',
  weight: 1,
  prepare({ pod }) {
    return {
      // cpu and memory weighted 1 each, on requests with the non-zero defaults, as upstream.
      score(node) {
        const cpu = leastRequested(node.nonZeroCPU + pod.nonZeroCPU, node.allocatable.milliCPU)
        const mem = leastRequested(node.nonZeroMemory + pod.nonZeroMemory, node.allocatable.memory)
        return Math.trunc((cpu + mem) / 2)
      },
    }
  },
}
