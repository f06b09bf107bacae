// Precomputes what the plugins need to know about a pod (requests, host ports, parsed affinity
// terms), once per object version, so a scheduling decision never re-parses the pod per node.
import type { Affinity, Container, PodAffinityTerm, WeightedPodAffinityTerm } from 'kubernetes-types/core/v1'
import { parseQuantity } from '../api/quantity'
import { labelSelectorFromObject, type LabelSelectorObject } from '../api/selectors'
import type { AffinityTerm, HostPort, PodInfo, Resources } from './pod-types'
import type { PodObj } from '../kit/objects'

/** Upstream's defaults for scoring pods that request nothing (DefaultMilliCPURequest / DefaultMemoryRequest). */
export const DEFAULT_MILLI_CPU_REQUEST = 100
export const DEFAULT_MEMORY_REQUEST = 200 * 1024 * 1024

export function emptyResources(): Resources {
  return { milliCPU: 0, memory: 0, ephemeralStorage: 0, scalar: new Map() }
}

/** Adds one resource list (container requests, overhead) into `into`. */
function addList(into: Resources, list: Record<string, unknown> | undefined): void {
  if (!list) return
  for (const [name, q] of Object.entries(list)) {
    const v = quantity(q)
    if (name === 'cpu') into.milliCPU += Math.ceil(v * 1000)
    else if (name === 'memory') into.memory += v
    else if (name === 'ephemeral-storage') into.ephemeralStorage += v
    else if (name !== 'pods') into.scalar.set(name, (into.scalar.get(name) ?? 0) + v)
  }
}

function quantity(q: unknown): number {
  if (typeof q === 'number') return q
  if (typeof q !== 'string') return 0
  try {
    return parseQuantity(q)
  } catch {
    return 0 // the API server validated it; an unparsable value cannot reach us
  }
}

function maxInto(into: Resources, other: Resources): void {
  into.milliCPU = Math.max(into.milliCPU, other.milliCPU)
  into.memory = Math.max(into.memory, other.memory)
  into.ephemeralStorage = Math.max(into.ephemeralStorage, other.ephemeralStorage)
  for (const [k, v] of other.scalar) into.scalar.set(k, Math.max(into.scalar.get(k) ?? 0, v))
}

function addInto(into: Resources, other: Resources): void {
  into.milliCPU += other.milliCPU
  into.memory += other.memory
  into.ephemeralStorage += other.ephemeralStorage
  for (const [k, v] of other.scalar) into.scalar.set(k, (into.scalar.get(k) ?? 0) + v)
}

export function cloneResources(resources: Resources): Resources {
  return { milliCPU: resources.milliCPU, memory: resources.memory, ephemeralStorage: resources.ephemeralStorage, scalar: new Map(resources.scalar) }
}

function containerRequests(c: Container): Resources {
  const r = emptyResources()
  // Limits stand in for missing requests (the API server defaults them so; be robust if not).
  addList(r, (c.resources?.requests ?? c.resources?.limits) as Record<string, unknown> | undefined)
  if (c.resources?.requests && c.resources.limits) {
    for (const [name, q] of Object.entries(c.resources.limits)) {
      if (!(name in c.resources.requests)) addList(r, { [name]: q })
    }
  }
  return r
}

/**
 * The pod's effective request as upstream's resource helpers compute it: the sum of app
 * containers and sidecars (restartable init containers), or the largest init container plus
 * the sidecars started before it if that is more, plus the pod overhead.
 */
export function podRequests(pod: PodObj, nonZero = false): Resources {
  const apply = (c: Container): Resources => {
    const r = containerRequests(c)
    if (nonZero) {
      const req = c.resources?.requests as Record<string, unknown> | undefined
      const lim = c.resources?.limits as Record<string, unknown> | undefined
      if (!(req && 'cpu' in req) && !(lim && 'cpu' in lim)) r.milliCPU = DEFAULT_MILLI_CPU_REQUEST
      if (!(req && 'memory' in req) && !(lim && 'memory' in lim)) r.memory = DEFAULT_MEMORY_REQUEST
    }
    return r
  }
  const total = emptyResources()
  for (const c of pod.spec?.containers ?? []) addInto(total, apply(c))
  const sidecars = emptyResources()
  const initMax = emptyResources()
  for (const c of pod.spec?.initContainers ?? []) {
    const r = apply(c)
    if (c.restartPolicy === 'Always') {
      addInto(sidecars, r)
      addInto(total, r)
    } else {
      const peak = cloneResources(sidecars)
      addInto(peak, r)
      maxInto(initMax, peak)
    }
  }
  maxInto(total, initMax)
  addList(total, pod.spec?.overhead as Record<string, unknown> | undefined)
  return total
}

function hostPorts(pod: PodObj): HostPort[] {
  const out: HostPort[] = []
  const all = [...(pod.spec?.initContainers ?? []).filter((c) => c.restartPolicy === 'Always'), ...(pod.spec?.containers ?? [])]
  for (const c of all) {
    for (const p of c.ports ?? []) {
      if (!p.hostPort || p.hostPort <= 0) continue
      out.push({ protocol: p.protocol ?? 'TCP', port: p.hostPort, hostIP: p.hostIP && p.hostIP !== '' ? p.hostIP : '0.0.0.0' })
    }
  }
  return out
}

function term(t: PodAffinityTerm, podNamespace: string, weight: number): AffinityTerm {
  const nsSel = t.namespaceSelector as LabelSelectorObject | undefined
  const explicit = t.namespaces ?? []
  return {
    selector: labelSelectorFromObject((t.labelSelector ?? null) as LabelSelectorObject | null),
    topologyKey: t.topologyKey,
    namespaces: explicit.length === 0 && !nsSel ? [podNamespace] : [...explicit],
    namespaceSelector: nsSel ? labelSelectorFromObject(nsSel) : undefined,
    weight,
  }
}

function weighted(ts: WeightedPodAffinityTerm[] | undefined, ns: string): AffinityTerm[] {
  return (ts ?? []).map((w) => term(w.podAffinityTerm, ns, w.weight))
}

export function podKey(pod: PodObj): string {
  return `${pod.metadata?.namespace ?? 'default'}/${pod.metadata?.name ?? ''}`
}

export function newPodInfo(pod: PodObj): PodInfo {
  const ns = pod.metadata?.namespace ?? 'default'
  const a: Affinity | undefined = pod.spec?.affinity
  const nonZero = podRequests(pod, true)
  return {
    pod,
    key: podKey(pod),
    namespace: ns,
    labels: (pod.metadata?.labels as Record<string, string> | undefined) ?? {},
    priority: pod.spec?.priority ?? 0,
    requests: podRequests(pod),
    nonZeroCPU: nonZero.milliCPU,
    nonZeroMemory: nonZero.memory,
    hostPorts: hostPorts(pod),
    requiredAffinity: (a?.podAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? []).map((t) => term(t, ns, 1)),
    requiredAntiAffinity: (a?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? []).map((t) => term(t, ns, 1)),
    preferredAffinity: weighted(a?.podAffinity?.preferredDuringSchedulingIgnoredDuringExecution, ns),
    preferredAntiAffinity: weighted(a?.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution, ns),
    terminating: Boolean(pod.metadata?.deletionTimestamp),
  }
}

export function hasAffinityTerms(podInfo: PodInfo): boolean {
  return podInfo.requiredAffinity.length + podInfo.requiredAntiAffinity.length + podInfo.preferredAffinity.length + podInfo.preferredAntiAffinity.length > 0
}
