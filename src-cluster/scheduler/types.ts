// Shared shapes of the scheduler: the per-pod facts it precomputes once (pod-types.ts, re-exported),
// and the plugin contracts (filter = may the pod run here, score = how good is this node).
import type { LabelSelector } from '../api/selectors'
import type { SchedulerCache } from './cache'
import type { NodeInfo } from './node-info'
import type { PodInfo } from './pod-types'

export type { AffinityTerm, HostPort, PodInfo, Resources } from './pod-types'

/** Upstream's MaxNodeScore: every score plugin answers 0..100 after normalizing. */
export const MAX_NODE_SCORE = 100

/** Why a filter rejected a node: upstream's reason strings, e.g. "Insufficient cpu". */
export type FilterReasons = readonly string[]

/** A filter prepared for one pod: undefined = the pod may run on the node, else the reasons it may not. */
export type NodeFilter = (node: NodeInfo) => FilterReasons | undefined

export interface CycleContext {
  readonly pod: PodInfo
  readonly cache: SchedulerCache
  /**
   * Selector of the pods that belong with this one (its Services, ReplicaSet, StatefulSet, ...)
   * for default spreading; undefined or empty when it belongs to none.
   */
  readonly defaultSpreadSelector?: (pod: PodInfo) => LabelSelector | undefined
  /**
   * Pods nominated to a node (by preemption) that go before this one: priority at least this
   * pod's. The filters count them as if running there.
   */
  readonly nominatedPods?: (nodeName: string) => readonly PodInfo[]
}

export interface FilterPlugin {
  readonly name: string
  /** Precompute what the pod needs (PreFilter); undefined when the plugin has nothing to check. */
  prepare(ctx: CycleContext): NodeFilter | undefined
}

export interface NodeScorer {
  score(node: NodeInfo): number
  /** Rescale raw scores in place to 0..MAX_NODE_SCORE (NormalizeScore). */
  normalize?(scores: number[], nodes: readonly NodeInfo[]): void
}

export interface ScorePlugin {
  readonly name: string
  readonly weight: number
  /** PreScore over the feasible nodes; undefined skips the plugin for this pod. */
  prepare(ctx: CycleContext, feasible: readonly NodeInfo[]): NodeScorer | undefined
}
