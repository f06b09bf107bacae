// InterPodAffinity: required pod affinity / anti-affinity of the incoming pod, and existing
// pods' required anti-affinity against it (filter); preferred terms of both sides (score).
// Counts of matching pods per topology domain come from the cache's live counters.
import type { SchedulerCache } from '../cache'
import type { MatchCounter } from '../match-counter'
import type { NodeInfo } from '../node-info'
import { matchLabels } from '../../api/selectors'
import { MAX_NODE_SCORE, type AffinityTerm, type FilterPlugin, type PodInfo, type ScorePlugin } from '../types'

export const REASON_AFFINITY = "node(s) didn't match pod affinity rules"
export const REASON_ANTI_AFFINITY = "node(s) didn't match pod anti-affinity rules"
export const REASON_EXISTING_ANTI_AFFINITY = "node(s) didn't satisfy existing pods anti-affinity rules"

/** Upstream's hardPodAffinityWeight: existing pods' required affinity counts this much in scoring. */
const HARD_POD_AFFINITY_WEIGHT = 1

function counterFor(cache: SchedulerCache, t: AffinityTerm): MatchCounter {
  return cache.counter(cache.termNamespaces(t), t.selector, t.topologyKey)
}

/** Does an existing pod's term select the incoming pod? */
function termSelects(cache: SchedulerCache, t: AffinityTerm, pod: PodInfo): boolean {
  return cache.termCoversNamespace(t, pod.namespace) && matchLabels(t.selector, pod.labels)
}

/** "key\0value" domains where existing pods' required anti-affinity forbids the incoming pod. */
function forbiddenDomains(cache: SchedulerCache, pod: PodInfo): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>()
  for (const other of cache.podsWithAffinity.values()) {
    if (other.requiredAntiAffinity.length === 0 || other.key === pod.key) continue
    const nodeName = cache.nodeOfPod(other.key)
    const ni = nodeName === undefined ? undefined : cache.getNode(nodeName)
    if (!ni) continue
    for (const t of other.requiredAntiAffinity) {
      const v = ni.labels[t.topologyKey]
      if (v === undefined || !termSelects(cache, t, pod)) continue
      let set = out.get(t.topologyKey)
      if (!set) out.set(t.topologyKey, (set = new Set()))
      set.add(v)
    }
  }
  return out
}

export const interPodAffinityFilter: FilterPlugin = {
  name: 'InterPodAffinity',
  prepare({ pod, cache }) {
    const forbidden = forbiddenDomains(cache, pod)
    const affinity = pod.requiredAffinity.map((t) => counterFor(cache, t))
    const anti = pod.requiredAntiAffinity.map((t) => counterFor(cache, t))
    if (forbidden.size === 0 && affinity.length === 0 && anti.length === 0) return undefined
    // The first pod of a group that wants to be with its own kind may go anywhere its topology
    // keys exist, as long as no pod matches yet and it matches its own terms.
    const noneMatchAnywhere = affinity.every((c) => c.total === 0)
    const selfMatches = pod.requiredAffinity.every((t) => termSelects(cache, t, pod))
    return (node: NodeInfo) => {
      let affinityOk = true
      for (let i = 0; i < affinity.length; i++) {
        const t = pod.requiredAffinity[i]!
        if (node.labels[t.topologyKey] === undefined) return [REASON_AFFINITY]
        if (affinity[i]!.inDomainOf(node.labels) <= 0) affinityOk = false
      }
      if (!affinityOk && !(noneMatchAnywhere && selfMatches)) return [REASON_AFFINITY]
      for (const c of anti) if (c.inDomainOf(node.labels) > 0) return [REASON_ANTI_AFFINITY]
      for (const [key, values] of forbidden) {
        const v = node.labels[key]
        if (v !== undefined && values.has(v)) return [REASON_EXISTING_ANTI_AFFINITY]
      }
      return undefined
    }
  },
}

export const interPodAffinityScore: ScorePlugin = {
  name: 'InterPodAffinity',
  weight: 2,
  prepare({ pod, cache }) {
    // Incoming pod's preferred terms: weight × matching pods in the node's domain.
    const own: { counter: MatchCounter; weight: number }[] = [
      ...pod.preferredAffinity.map((t) => ({ counter: counterFor(cache, t), weight: t.weight })),
      ...pod.preferredAntiAffinity.map((t) => ({ counter: counterFor(cache, t), weight: -t.weight })),
    ]
    // Existing pods' terms that select the incoming pod: weight at their own domain.
    const domainScore = new Map<string, Map<string, number>>()
    const addDomain = (key: string, value: string, w: number) => {
      let m = domainScore.get(key)
      if (!m) domainScore.set(key, (m = new Map()))
      m.set(value, (m.get(value) ?? 0) + w)
    }
    for (const other of cache.podsWithAffinity.values()) {
      if (other.key === pod.key) continue
      const nodeName = cache.nodeOfPod(other.key)
      const ni = nodeName === undefined ? undefined : cache.getNode(nodeName)
      if (!ni) continue
      const visit = (terms: readonly AffinityTerm[], sign: number, fixed?: number) => {
        for (const t of terms) {
          const v = ni.labels[t.topologyKey]
          if (v !== undefined && termSelects(cache, t, pod)) addDomain(t.topologyKey, v, sign * (fixed ?? t.weight))
        }
      }
      visit(other.preferredAffinity, 1)
      visit(other.requiredAffinity, 1, HARD_POD_AFFINITY_WEIGHT)
      visit(other.preferredAntiAffinity, -1)
    }
    if (own.length === 0 && domainScore.size === 0) return undefined
    return {
      score(node) {
        let s = 0
        for (const o of own) s += o.weight * o.counter.inDomainOf(node.labels)
        for (const [key, m] of domainScore) {
          const v = node.labels[key]
          if (v !== undefined) s += m.get(v) ?? 0
        }
        return s
      },
      normalize(scores) {
        let min = Infinity
        let max = -Infinity
        for (const s of scores) {
          if (s < min) min = s
          if (s > max) max = s
        }
        const diff = max - min
        for (let i = 0; i < scores.length; i++) scores[i] = diff > 0 ? Math.trunc((MAX_NODE_SCORE * (scores[i]! - min)) / diff) : 0
      },
    }
  },
}
