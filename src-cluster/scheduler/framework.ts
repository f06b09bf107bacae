// One scheduling decision: run the filters over a sample of nodes (upstream's adaptive
// percentageOfNodesToScore), score the feasible ones with the weighted score plugins and pick
// the best, breaking ties at random. Pure over the cache: binding is the scheduler's business.
import { FitError } from './diagnosis'
import type { NodeInfo } from './node-info'
import { MAX_NODE_SCORE, type CycleContext, type FilterPlugin, type NodeFilter, type ScorePlugin } from './types'

const MIN_FEASIBLE_NODES_TO_FIND = 100
const MIN_FEASIBLE_NODES_PERCENTAGE = 5

/** How many feasible nodes to find before scoring: all below 100 nodes, then 50% falling to 5%. */
export function numFeasibleNodesToFind(numAllNodes: number, percentage = 0): number {
  if (numAllNodes < MIN_FEASIBLE_NODES_TO_FIND) return numAllNodes
  let pct = percentage
  if (pct <= 0) {
    pct = 50 - Math.trunc(numAllNodes / 125)
    if (pct < MIN_FEASIBLE_NODES_PERCENTAGE) pct = MIN_FEASIBLE_NODES_PERCENTAGE
  }
  const n = Math.trunc((numAllNodes * pct) / 100)
  return n < MIN_FEASIBLE_NODES_TO_FIND ? MIN_FEASIBLE_NODES_TO_FIND : n
}

/** Why a filter turned a node down: the plugin and upstream's reason strings. */
export interface Rejection {
  readonly plugin: string
  readonly reasons: readonly string[]
}

interface PreparedFilters {
  readonly filters: readonly NodeFilter[]
  readonly names: readonly string[]
}

/** The first filter that rejects the node, or undefined when it passes them all. */
function runFilters(p: PreparedFilters, node: NodeInfo): Rejection | undefined {
  for (let j = 0; j < p.filters.length; j++) {
    const reasons = p.filters[j]!(node)
    if (reasons) return { plugin: p.names[j]!, reasons }
  }
  return undefined
}

export interface ScheduleResult {
  readonly node: string
  readonly evaluatedNodes: number
  readonly feasibleNodes: number
}

export interface FrameworkOptions {
  readonly filters: readonly FilterPlugin[]
  readonly scores: readonly ScorePlugin[]
  /** 0 = adaptive, as upstream's default. */
  readonly percentageOfNodesToScore?: number
  /** For tie-breaking; tests may pin it. */
  readonly random?: () => number
}

export class Framework {
  /** Where the next decision starts its walk over the nodes, so sampling covers all of them. */
  private nextStartNodeIndex = 0
  private readonly random: () => number

  constructor(private readonly opts: FrameworkOptions) {
    this.random = opts.random ?? Math.random
  }

  /** The node to bind to, or throws FitError saying why none fits. */
  schedule(ctx: CycleContext): ScheduleResult {
    const nodes = ctx.cache.listNodes()
    if (nodes.length === 0) throw new FitError(0, new Map())
    const prepared = this.prepareFilters(ctx)
    const failedPlugins = new Set<string>()
    const want = numFeasibleNodesToFind(nodes.length, this.opts.percentageOfNodesToScore)
    const feasible: NodeInfo[] = []
    const rejected = new Map<string, readonly string[]>()
    const rejectedBy = new Map<string, string>()
    let processed = 0
    const start = this.nextStartNodeIndex % nodes.length
    for (let i = 0; i < nodes.length && feasible.length < want; i++) {
      const node = nodes[(start + i) % nodes.length]!
      processed++
      const r = this.filterNode(ctx, prepared, node)
      if (r) {
        failedPlugins.add(r.plugin)
        rejected.set(node.name, r.reasons)
        rejectedBy.set(node.name, r.plugin)
      } else feasible.push(node)
    }
    this.nextStartNodeIndex = (start + processed) % nodes.length
    if (feasible.length === 0) throw new FitError(nodes.length, rejected, failedPlugins, rejectedBy)
    if (feasible.length === 1) return { node: feasible[0]!.name, evaluatedNodes: processed, feasibleNodes: 1 }
    const totals = this.score(ctx, feasible)
    return { node: feasible[this.selectHost(totals)]!.name, evaluatedNodes: processed, feasibleNodes: feasible.length }
  }

  /** Whether the pod fits on one node as the cache stands now (filters prepared afresh). */
  fitsOn(ctx: CycleContext, node: NodeInfo): Rejection | undefined {
    return this.filterNode(ctx, this.prepareFilters(ctx), node)
  }

  /** PreFilter: every plugin's filter for this pod, or none when it has nothing to check. */
  private prepareFilters(ctx: CycleContext): PreparedFilters {
    const filters: NodeFilter[] = []
    const names: string[] = []
    for (const f of this.opts.filters) {
      const nf = f.prepare(ctx)
      if (nf) {
        filters.push(nf)
        names.push(f.name)
      }
    }
    return { filters, names }
  }

  /**
   * The filters on one node. Pods nominated there (waiting for preemption victims to leave)
   * that would be scheduled before this one are counted as if running, and the filters must
   * also pass without them: upstream's RunFilterPluginsWithNominatedPods.
   */
  private filterNode(ctx: CycleContext, prepared: PreparedFilters, node: NodeInfo): Rejection | undefined {
    const nominated = ctx.nominatedPods?.(node.name) ?? []
    if (nominated.length > 0) {
      const r = ctx.cache.withPods(node.name, nominated, () => runFilters(this.prepareFilters(ctx), node))
      if (r) return r
    }
    return runFilters(prepared, node)
  }

  /** Weighted sum of every applicable score plugin, per feasible node. */
  score(ctx: CycleContext, feasible: readonly NodeInfo[]): number[] {
    const totals = new Array<number>(feasible.length).fill(0)
    const scores = new Array<number>(feasible.length)
    for (const p of this.opts.scores) {
      const scorer = p.prepare(ctx, feasible)
      if (!scorer) continue
      for (let i = 0; i < feasible.length; i++) scores[i] = scorer.score(feasible[i]!)
      scorer.normalize?.(scores, feasible)
      for (let i = 0; i < feasible.length; i++) {
        const s = Math.min(MAX_NODE_SCORE, Math.max(0, scores[i]!))
        totals[i] += s * p.weight
      }
    }
    return totals
  }

  /** Index of the highest total; equal totals are chosen between uniformly (reservoir sampling). */
  selectHost(totals: readonly number[]): number {
    let best = 0
    let ties = 1
    for (let i = 1; i < totals.length; i++) {
      if (totals[i]! > totals[best]!) {
        best = i
        ties = 1
      } else if (totals[i] === totals[best]) {
        ties++
        if (this.random() * ties < 1) best = i
      }
    }
    return best
  }
}
