// One node as the scheduler sees it: its allocatable resources, taints and labels, and running
// totals of what its bound and assumed pods use. Totals change incrementally as pods come and
// go, so a filter or score is O(1) per node rather than a scan of the node's pods.
import type { Taint } from 'kubernetes-types/core/v1'
import { parseQuantity } from '../api/quantity'
import { emptyResources } from './pod-info'
import type { PodInfo, Resources } from './pod-types'
import type { NodeObj } from '../kit/objects'

function q(v: unknown): number {
  if (typeof v !== 'string') return typeof v === 'number' ? v : 0
  try {
    return parseQuantity(v)
  } catch {
    return 0
  }
}

export function allocatableOf(node: NodeObj): { resources: Resources; pods: number } {
  const list = (node.status?.allocatable ?? node.status?.capacity ?? {}) as Record<string, unknown>
  const r = emptyResources()
  let pods = 0
  for (const [name, v] of Object.entries(list)) {
    if (name === 'cpu') r.milliCPU = Math.round(q(v) * 1000)
    else if (name === 'memory') r.memory = q(v)
    else if (name === 'ephemeral-storage') r.ephemeralStorage = q(v)
    else if (name === 'pods') pods = q(v)
    else r.scalar.set(name, q(v))
  }
  return { resources: r, pods }
}

export class NodeInfo {
  node: NodeObj | undefined
  labels: Record<string, string> = {}
  taints: readonly Taint[] = []
  unschedulable = false
  allocatable: Resources = emptyResources()
  allowedPods = 0
  readonly requested: Resources = emptyResources()
  nonZeroCPU = 0
  nonZeroMemory = 0
  readonly pods = new Map<string, PodInfo>()
  /** "protocol/port" → hostIPs in use (with a count per IP). */
  readonly usedPorts = new Map<string, Map<string, number>>()

  constructor(readonly name: string) {}

  setNode(node: NodeObj | undefined): void {
    this.node = node
    this.labels = (node?.metadata?.labels as Record<string, string> | undefined) ?? {}
    this.taints = node?.spec?.taints ?? []
    this.unschedulable = Boolean(node?.spec?.unschedulable)
    const a = node ? allocatableOf(node) : { resources: emptyResources(), pods: 0 }
    this.allocatable = a.resources
    this.allowedPods = a.pods
  }

  addPod(podInfo: PodInfo): void {
    if (this.pods.has(podInfo.key)) this.removePod(podInfo.key)
    this.pods.set(podInfo.key, podInfo)
    this.account(podInfo, 1)
  }

  removePod(key: string): PodInfo | undefined {
    const p = this.pods.get(key)
    if (!p) return undefined
    this.pods.delete(key)
    this.account(p, -1)
    return p
  }

  private account(p: PodInfo, sign: 1 | -1): void {
    const r = p.requests
    this.requested.milliCPU += sign * r.milliCPU
    this.requested.memory += sign * r.memory
    this.requested.ephemeralStorage += sign * r.ephemeralStorage
    for (const [k, v] of r.scalar) this.requested.scalar.set(k, (this.requested.scalar.get(k) ?? 0) + sign * v)
    this.nonZeroCPU += sign * p.nonZeroCPU
    this.nonZeroMemory += sign * p.nonZeroMemory
    for (const hp of p.hostPorts) {
      const k = `${hp.protocol}/${hp.port}`
      let ips = this.usedPorts.get(k)
      if (!ips) this.usedPorts.set(k, (ips = new Map()))
      const n = (ips.get(hp.hostIP) ?? 0) + sign
      if (n > 0) ips.set(hp.hostIP, n)
      else ips.delete(hp.hostIP)
      if (ips.size === 0) this.usedPorts.delete(k)
    }
  }

  /** Whether a host port is free: 0.0.0.0 conflicts with every address of the same protocol/port. */
  portConflicts(hp: { protocol: string; port: number; hostIP: string }): boolean {
    const ips = this.usedPorts.get(`${hp.protocol}/${hp.port}`)
    if (!ips) return false
    if (hp.hostIP === '0.0.0.0') return ips.size > 0
    return ips.has('0.0.0.0') || ips.has(hp.hostIP)
  }
}
