// Counts of pods matching (namespaces, label selector), per value of one node label (topology
// key). Affinity and topology spreading ask "how many matching pods are in this node's zone /
// on this host" for every candidate node; the cache keeps these counters up to date as pods are
// added and removed, so the answer is a map lookup instead of a scan of every pod.
import { matchLabels, selectorToString, type LabelSelector } from '../api/selectors'
import type { PodInfo } from './pod-types'

/** '*' = every namespace. */
export type NamespaceSet = ReadonlySet<string> | '*'

export class MatchCounter {
  readonly counts = new Map<string, number>()
  /** Matching pods on nodes that carry the topology key. */
  total = 0
  lastUsed = 0

  constructor(
    readonly namespaces: NamespaceSet,
    readonly selector: LabelSelector,
    readonly topologyKey: string,
  ) {}

  static key(namespaces: NamespaceSet, selector: LabelSelector, topologyKey: string): string {
    const ns = namespaces === '*' ? '*' : [...namespaces].sort().join(',')
    return `${ns}|${selector.matchesNothing ? '<none>' : selectorToString(selector)}|${topologyKey}`
  }

  matches(podInfo: PodInfo): boolean {
    if (this.namespaces !== '*' && !this.namespaces.has(podInfo.namespace)) return false
    return matchLabels(this.selector, podInfo.labels)
  }

  /** Account a pod on a node with these labels (sign -1 removes it). */
  apply(podInfo: PodInfo, nodeLabels: Record<string, string>, sign: 1 | -1): void {
    const v = nodeLabels[this.topologyKey]
    if (v === undefined || !this.matches(podInfo)) return
    const n = (this.counts.get(v) ?? 0) + sign
    if (n > 0) this.counts.set(v, n)
    else this.counts.delete(v)
    this.total += sign
  }

  /** Matching pods in the domain of a node with these labels (0 when it lacks the key). */
  inDomainOf(nodeLabels: Record<string, string>): number {
    const v = nodeLabels[this.topologyKey]
    return v === undefined ? 0 : (this.counts.get(v) ?? 0)
  }
}
