// Shared shapes of the scheduler: the objects it reads, the per-pod facts it precomputes once,
// and the plugin contracts (filter = may the pod run here, score = how good is this node).
import type { LabelSelector } from '../api/selectors'
import type { SchedulerCache } from './cache'
import type { NodeInfo } from './node-info'
import type { PodObj } from '../kit/objects'

/** Upstream's MaxNodeScore: every score plugin answers 0..100 after normalizing. */
export const MAX_NODE_SCORE = 100

/** Amounts in scheduler units: CPU in millicores, the rest in bytes or plain counts. */
export interface Resources {
  milliCPU: number
  memory: number
  ephemeralStorage: number
  /** Extended and hugepages resources, by name. */
  scalar: Map<string, number>
}

export interface HostPort {
  readonly protocol: string
  readonly port: number
  /** '0.0.0.0' when the port binds every address. */
  readonly hostIP: string
}

/** A pod affinity term with its selector parsed and its namespaces resolved by the cache. */
export interface AffinityTerm {
  readonly selector: LabelSelector
  readonly topologyKey: string
  /** Explicit namespaces (term.namespaces, or the pod's own when neither list nor selector is set). */
  readonly namespaces: readonly string[]
  /** term.namespaceSelector parsed; `{}` selects every namespace. */
  readonly namespaceSelector?: LabelSelector
  readonly weight: number
}

/** Facts about one pod computed once per object version, shared by every plugin. */
export interface PodInfo {
  readonly pod: PodObj
  readonly key: string
  readonly namespace: string
  readonly labels: Record<string, string>
  readonly priority: number
  readonly requests: Resources
  /** Requests with upstream's defaults for containers that ask for nothing (100m CPU, 200Mi). */
  readonly nonZeroCPU: number
  readonly nonZeroMemory: number
  readonly hostPorts: readonly HostPort[]
  readonly requiredAffinity: readonly AffinityTerm[]
  readonly requiredAntiAffinity: readonly AffinityTerm[]
  readonly preferredAffinity: readonly AffinityTerm[]
  readonly preferredAntiAffinity: readonly AffinityTerm[]
  readonly terminating: boolean
}

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
