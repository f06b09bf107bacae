// Why a pod fits nowhere, worded as upstream's FitError so learners see familiar text:
// "0/3 nodes are available: 1 node(s) had untolerated taint {...}, 2 Insufficient cpu."
// When preemption does not help, the scheduler appends upstream's "preemption: ..." sentence.
export const NO_NODES_AVAILABLE = 'no nodes available to schedule pods'

export class FitError extends Error {
  constructor(
    readonly numAllNodes: number,
    /** Each rejected node's reasons (one node may give several, e.g. cpu and memory). */
    readonly nodeReasons: ReadonlyMap<string, readonly string[]>,
    /** Filter plugins that rejected some node: only events relevant to them requeue the pod. */
    readonly plugins: ReadonlySet<string> = new Set(),
    /** The filter plugin that rejected each node (preemption asks whether evictions could help). */
    readonly rejectedBy: ReadonlyMap<string, string> = new Map(),
  ) {
    super(fitErrorMessage(numAllNodes, nodeReasons))
    this.name = 'FitError'
  }
}

/** Counts per reason, "N reason", sorted as strings, as upstream's sortReasonsHistogram does. */
export function fitErrorMessage(numAllNodes: number, nodeReasons: ReadonlyMap<string, readonly string[]>): string {
  if (numAllNodes === 0) return NO_NODES_AVAILABLE
  const histogram = new Map<string, number>()
  for (const reasons of nodeReasons.values()) for (const r of new Set(reasons)) histogram.set(r, (histogram.get(r) ?? 0) + 1)
  const parts = [...histogram].map(([r, n]) => `${n} ${r}`).sort()
  let msg = `0/${numAllNodes} nodes are available:`
  if (parts.length > 0) msg += ` ${parts.join(', ')}.`
  return msg
}
