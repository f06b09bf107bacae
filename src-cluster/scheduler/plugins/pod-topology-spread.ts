// PodTopologySpread: DoNotSchedule constraints bound the skew of matching pods between topology
// domains (filter); ScheduleAnyway constraints — or, for pods without constraints, the system
// defaults (hostname maxSkew 3, zone maxSkew 5 over the pods of the same Service/ReplicaSet/
// StatefulSet) — prefer the emptier domains (score). This also plays the old SelectorSpread role.
import type { TopologySpreadConstraint } from 'kubernetes-types/core/v1'
import type { MatchCounter } from '../match-counter'
import type { NodeInfo } from '../node-info'
import { isEverything, labelSelectorFromObject, matchLabels, type LabelSelector, type LabelSelectorObject } from '../../api/selectors'
import { MAX_NODE_SCORE, type CycleContext, type FilterPlugin, type PodInfo, type ScorePlugin } from '../types'
import { requiredNodeAffinity } from './node-affinity'
import { firstUntoleratedTaint } from './taint-toleration'

export const REASON_SPREAD = "node(s) didn't match pod topology spread constraints"
export const REASON_SPREAD_MISSING_LABEL = "node(s) didn't match pod topology spread constraints (missing required label)"
export const LABEL_HOSTNAME = 'kubernetes.io/hostname'
export const LABEL_ZONE = 'topology.kubernetes.io/zone'

interface Constraint {
  readonly topologyKey: string
  readonly maxSkew: number
  readonly minDomains: number
  readonly selector: LabelSelector
  readonly counter: MatchCounter
  readonly honorAffinity: boolean
  readonly honorTaints: boolean
}

/** The constraint's selector plus matchLabelKeys turned into key=value requirements from the pod. */
function constraintSelector(c: TopologySpreadConstraint, pod: PodInfo): LabelSelector {
  const obj = (c.labelSelector ?? null) as LabelSelectorObject | null
  const keys = (c.matchLabelKeys ?? []).filter((k) => pod.labels[k] !== undefined)
  if (!obj || keys.length === 0) return labelSelectorFromObject(obj)
  return labelSelectorFromObject({
    matchLabels: obj.matchLabels,
    matchExpressions: [...(obj.matchExpressions ?? []), ...keys.map((k) => ({ key: k, operator: 'In', values: [pod.labels[k]!] }))],
  })
}

function constraints(ctx: CycleContext, when: 'DoNotSchedule' | 'ScheduleAnyway'): Constraint[] {
  const { pod, cache } = ctx
  const ns = new Set([pod.namespace])
  return (pod.pod.spec?.topologySpreadConstraints ?? [])
    .filter((c) => c.whenUnsatisfiable === when)
    .map((c) => {
      const selector = constraintSelector(c, pod)
      return {
        topologyKey: c.topologyKey,
        maxSkew: c.maxSkew,
        minDomains: c.minDomains ?? 1,
        selector,
        counter: cache.counter(ns, selector, c.topologyKey),
        honorAffinity: (c.nodeAffinityPolicy ?? 'Honor') === 'Honor',
        honorTaints: c.nodeTaintsPolicy === 'Honor',
      }
    })
}

/** Which nodes count as domains: they carry every key and pass the inclusion policies. */
function eligible(ctx: CycleContext, cs: readonly Constraint[]): (node: NodeInfo) => boolean {
  const affinity = cs.some((c) => c.honorAffinity) ? requiredNodeAffinity(ctx.pod.pod) : undefined
  const tolerations = ctx.pod.pod.spec?.tolerations ?? []
  const honorTaints = cs.some((c) => c.honorTaints)
  return (node) => {
    for (const c of cs) if (node.labels[c.topologyKey] === undefined) return false
    if (affinity && !affinity(node)) return false
    if (honorTaints && firstUntoleratedTaint(node.taints, tolerations)) return false
    return true
  }
}

export const podTopologySpreadFilter: FilterPlugin = {
  name: 'PodTopologySpread',
  prepare(ctx) {
    const cs = constraints(ctx, 'DoNotSchedule')
    if (cs.length === 0) return undefined
    const ok = eligible(ctx, cs)
    // Smallest count among the eligible domains of each constraint (0 below minDomains).
    const domains = cs.map(() => new Set<string>())
    for (const node of ctx.cache.listNodes()) {
      if (!ok(node)) continue
      cs.forEach((c, i) => domains[i]!.add(node.labels[c.topologyKey]!))
    }
    const mins = cs.map((c, i) => {
      const d = domains[i]!
      if (d.size < c.minDomains) return 0
      let min = Infinity
      for (const v of d) min = Math.min(min, c.counter.counts.get(v) ?? 0)
      return min === Infinity ? 0 : min
    })
    const self = cs.map((c) => (matchLabels(c.selector, ctx.pod.labels) ? 1 : 0))
    return (node) => {
      for (let i = 0; i < cs.length; i++) {
        const c = cs[i]!
        const v = node.labels[c.topologyKey]
        if (v === undefined) return [REASON_SPREAD_MISSING_LABEL]
        const skew = (c.counter.counts.get(v) ?? 0) + self[i]! - mins[i]!
        if (skew > c.maxSkew) return [REASON_SPREAD]
      }
      return undefined
    }
  },
}

function systemDefaults(ctx: CycleContext): Constraint[] {
  const selector = ctx.defaultSpreadSelector?.(ctx.pod)
  if (!selector || selector.matchesNothing || isEverything(selector)) return []
  const ns = new Set([ctx.pod.namespace])
  return [
    { topologyKey: LABEL_HOSTNAME, maxSkew: 3 },
    { topologyKey: LABEL_ZONE, maxSkew: 5 },
  ].map((d) => ({ ...d, minDomains: 1, selector, counter: ctx.cache.counter(ns, selector, d.topologyKey), honorAffinity: true, honorTaints: false }))
}

export const podTopologySpreadScore: ScorePlugin = {
  name: 'PodTopologySpread',
  weight: 2,
  prepare(ctx, feasible) {
    const own = ctx.pod.pod.spec?.topologySpreadConstraints ?? []
    const systemDefaulted = own.length === 0
    const cs = systemDefaulted ? systemDefaults(ctx) : constraints(ctx, 'ScheduleAnyway')
    if (cs.length === 0) return undefined
    // Nodes missing a key of the pod's own constraints are ignored (scored 0); with the system
    // defaults a missing zone label just means that constraint does not apply.
    const ignored = (node: NodeInfo) => !systemDefaulted && cs.some((c) => node.labels[c.topologyKey] === undefined)
    const weights = cs.map((c) => {
      const values = new Set<string>()
      for (const n of feasible) if (!ignored(n) && n.labels[c.topologyKey] !== undefined) values.add(n.labels[c.topologyKey]!)
      return Math.log(values.size + 2)
    })
    return {
      score(node) {
        if (ignored(node)) return -1
        let s = 0
        // A plain loop: a closure per call was made for every node of every pod scheduled.
        for (let i = 0; i < cs.length; i++) {
          const c = cs[i]!
          const v = node.labels[c.topologyKey]
          if (v !== undefined) s += (c.counter.counts.get(v) ?? 0) * weights[i]! + (c.maxSkew - 1)
        }
        return Math.round(s)
      },
      normalize(scores) {
        let min = Infinity
        let max = 0
        for (const s of scores) {
          if (s < 0) continue
          if (s < min) min = s
          if (s > max) max = s
        }
        for (let i = 0; i < scores.length; i++) {
          const s = scores[i]!
          if (s < 0) scores[i] = 0
          else if (max === 0) scores[i] = MAX_NODE_SCORE
          else scores[i] = Math.trunc((MAX_NODE_SCORE * (max + min - s)) / max)
        }
      },
    }
  },
}
