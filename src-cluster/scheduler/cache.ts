// The scheduler's view of the cluster: nodes with running totals of their bound pods, plus
// pods it has assumed onto a node while their binding is in flight (so the next decision
// already sees those resources taken). Updated from the informers' events, never rescanned.
import { isEverything, matchLabels } from '../api/selectors'
import { MatchCounter, type NamespaceSet } from './match-counter'
import { NodeInfo } from './node-info'
import { hasAffinityTerms, newPodInfo, podKey } from './pod-info'
import type { AffinityTerm, PodInfo } from './pod-types'
import type { LabelSelector } from '../api/selectors'
import type { PersistentVolume, PersistentVolumeClaim } from 'kubernetes-types/core/v1'
import type { NodeObj, PodObj } from '../kit/objects'

/** Counters kept at most; the least recently used goes first (each costs a check per pod change). */
const MAX_COUNTERS = 512

function sameLabels(a: Record<string, string>, b: Record<string, string>): boolean {
  const ka = Object.keys(a)
  if (ka.length !== Object.keys(b).length) return false
  return ka.every((k) => a[k] === b[k])
}

/** A pod taken out of the cache by detach(), to be put back by reattach(). */
export interface DetachedPod {
  readonly info: PodInfo
  readonly node: string
  readonly assumed: boolean
}

/** Where the scheduler reads claims and volumes (informer caches). */
export interface VolumeLister {
  claim(namespace: string, name: string): PersistentVolumeClaim | undefined
  volume(name: string): PersistentVolume | undefined
}

export class SchedulerCache {
  /** Claims and volumes, when the scheduler watches them (VolumeBinding). */
  volumes: VolumeLister | undefined
  private readonly nodes = new Map<string, NodeInfo>()
  private nodeList: NodeInfo[] | undefined
  /** Pod key → node it is on (bound or assumed). */
  private readonly podNode = new Map<string, string>()
  private readonly assumed = new Set<string>()
  /** Existing pods that carry affinity or anti-affinity terms (checked against incoming pods). */
  readonly podsWithAffinity = new Map<string, PodInfo>()
  private readonly counters = new Map<string, MatchCounter>()
  private readonly namespaceLabels = new Map<string, Record<string, string>>()
  private tick = 0

  // ---- nodes ----

  /** Adds or updates a node; returns true when something a pending pod could care about changed. */
  setNode(node: NodeObj): boolean {
    const name = String(node.metadata?.name)
    let ni = this.nodes.get(name)
    const isNew = !ni || !ni.node
    if (!ni) this.nodes.set(name, (ni = new NodeInfo(name)))
    const oldLabels = ni.labels
    const before = ni.node ? JSON.stringify([ni.node.spec?.taints, ni.node.spec?.unschedulable, ni.node.status?.allocatable, ni.labels]) : ''
    ni.setNode(node)
    if (isNew) this.nodeList = undefined
    if (!sameLabels(oldLabels, ni.labels) && ni.pods.size > 0) this.counters.clear()
    return isNew || before !== JSON.stringify([node.spec?.taints, node.spec?.unschedulable, node.status?.allocatable, ni.labels])
  }

  removeNode(name: string): void {
    const ni = this.nodes.get(name)
    if (!ni) return
    this.nodeList = undefined
    // Pods still bound there keep a placeholder until their own deletion arrives, as upstream.
    if (ni.pods.size === 0) this.nodes.delete(name)
    else {
      ni.setNode(undefined)
      this.counters.clear()
    }
  }

  getNode(name: string): NodeInfo | undefined {
    return this.nodes.get(name)
  }

  /** Nodes that exist (not placeholders for pods whose node is gone), in a stable order. */
  listNodes(): readonly NodeInfo[] {
    if (!this.nodeList) this.nodeList = [...this.nodes.values()].filter((n) => n.node).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    return this.nodeList
  }

  // ---- namespaces (for affinity terms' namespaceSelector) ----

  setNamespace(name: string, labels: Record<string, string> | undefined): void {
    if (labels) this.namespaceLabels.set(name, labels)
    else this.namespaceLabels.delete(name)
  }

  /** The namespaces a term covers: explicit names plus those its namespaceSelector matches. */
  termNamespaces(affinityTerm: AffinityTerm): NamespaceSet {
    if (!affinityTerm.namespaceSelector) return new Set(affinityTerm.namespaces)
    if (isEverything(affinityTerm.namespaceSelector)) return '*'
    const out = new Set(affinityTerm.namespaces)
    for (const [ns, labels] of this.namespaceLabels) if (matchLabels(affinityTerm.namespaceSelector, labels)) out.add(ns)
    return out
  }

  /** Whether a pod's namespace is one the term covers. */
  termCoversNamespace(affinityTerm: AffinityTerm, namespace: string): boolean {
    if (affinityTerm.namespaces.includes(namespace)) return true
    if (!affinityTerm.namespaceSelector) return false
    return matchLabels(affinityTerm.namespaceSelector, this.namespaceLabels.get(namespace) ?? {})
  }

  // ---- pods ----

  /** A pod the API says is bound to a node (confirms an assumption of the same pod). */
  addPod(pod: PodObj): void {
    const nodeName = pod.spec?.nodeName
    if (!nodeName) return
    const info = newPodInfo(pod)
    this.removePod(info.key)
    this.place(info, nodeName)
  }

  /** Assume a pod onto a node while its binding is in flight. */
  assumePod(info: PodInfo, nodeName: string): void {
    this.removePod(info.key)
    this.place(info, nodeName)
    this.assumed.add(info.key)
  }

  /** Undo an assumption after a failed binding; a pod confirmed meanwhile stays. */
  forgetPod(key: string): void {
    if (this.assumed.has(key)) this.removePod(key)
  }

  isAssumed(key: string): boolean {
    return this.assumed.has(key)
  }

  nodeOfPod(key: string): string | undefined {
    return this.podNode.get(key)
  }

  removePod(key: string): void {
    this.assumed.delete(key)
    const nodeName = this.podNode.get(key)
    if (nodeName === undefined) return
    this.podNode.delete(key)
    const ni = this.nodes.get(nodeName)
    const info = ni?.removePod(key)
    if (ni && info) for (const c of this.counters.values()) c.apply(info, ni.labels, -1)
    this.podsWithAffinity.delete(key)
    if (ni && !ni.node && ni.pods.size === 0) this.nodes.delete(nodeName)
  }

  /**
   * Take a bound or assumed pod out for a what-if (preemption's dry run); reattach() puts it
   * back exactly as it was, assumption included.
   */
  detach(key: string): DetachedPod | undefined {
    const node = this.podNode.get(key)
    const info = node === undefined ? undefined : this.nodes.get(node)?.pods.get(key)
    if (node === undefined || !info) return undefined
    const assumed = this.assumed.has(key)
    this.removePod(key)
    return { info, node, assumed }
  }

  reattach(detachedPod: DetachedPod): void {
    this.removePod(detachedPod.info.key)
    this.place(detachedPod.info, detachedPod.node)
    if (detachedPod.assumed) this.assumed.add(detachedPod.info.key)
  }

  /**
   * Run fn with pods that are not in the cache (nominated ones) counted on a node, then take
   * them out again: upstream's "filters with nominated pods".
   */
  withPods<T>(nodeName: string, pods: readonly PodInfo[], fn: () => T): T {
    const added = pods.filter((p) => !this.podNode.has(p.key))
    for (const p of added) this.place(p, nodeName)
    try {
      return fn()
    } finally {
      for (const p of added) this.removePod(p.key)
    }
  }

  podCount(): number {
    return this.podNode.size
  }

  private place(info: PodInfo, nodeName: string): void {
    let ni = this.nodes.get(nodeName)
    if (!ni) this.nodes.set(nodeName, (ni = new NodeInfo(nodeName)))
    ni.addPod(info)
    this.podNode.set(info.key, nodeName)
    for (const c of this.counters.values()) c.apply(info, ni.labels, 1)
    if (hasAffinityTerms(info)) this.podsWithAffinity.set(info.key, info)
  }

  // ---- matching-pod counters ----

  /** The live counter of pods matching (namespaces, selector) per value of topologyKey. */
  counter(namespaces: NamespaceSet, selector: LabelSelector, topologyKey: string): MatchCounter {
    const key = MatchCounter.key(namespaces, selector, topologyKey)
    let c = this.counters.get(key)
    if (!c) {
      c = new MatchCounter(namespaces, selector, topologyKey)
      for (const ni of this.nodes.values()) for (const p of ni.pods.values()) c.apply(p, ni.labels, 1)
      if (this.counters.size >= MAX_COUNTERS) this.evictOldestCounter()
      this.counters.set(key, c)
    }
    c.lastUsed = ++this.tick
    return c
  }

  private evictOldestCounter(): void {
    let oldest: [string, MatchCounter] | undefined
    for (const e of this.counters) if (!oldest || e[1].lastUsed < oldest[1].lastUsed) oldest = e
    if (oldest) this.counters.delete(oldest[0])
  }
}

export { podKey }
