// Pods nominated to a node: a preemptor waits in the queue while its victims terminate, and
// the node it evicted them from is held for it (status.nominatedNodeName, and in memory at
// once, before the status write comes back), as upstream's nominator.
import type { PodInfo } from './types'
import type { PodObj } from '../kit/objects'

export class Nominator {
  private readonly nodeOf = new Map<string, string>()
  private readonly byNode = new Map<string, Map<string, PodInfo>>()

  /** Nominate a pod to a node (replacing any earlier nomination). */
  add(info: PodInfo, node: string): void {
    this.delete(info.key)
    this.nodeOf.set(info.key, node)
    let m = this.byNode.get(node)
    if (!m) this.byNode.set(node, (m = new Map()))
    m.set(info.key, info)
  }

  delete(key: string): void {
    const node = this.nodeOf.get(key)
    if (node === undefined) return
    this.nodeOf.delete(key)
    const m = this.byNode.get(node)
    m?.delete(key)
    if (m && m.size === 0) this.byNode.delete(node)
  }

  nominatedNode(key: string): string | undefined {
    return this.nodeOf.get(key)
  }

  /**
   * A pending pod seen by the informer. Its status names the node; an update where neither
   * version names one keeps a nomination made in memory whose status write has not come back.
   */
  onPending(old: PodObj | undefined, info: PodInfo): void {
    const nnn = info.pod.status?.nominatedNodeName
    if (nnn) return this.add(info, nnn)
    const kept = this.nodeOf.get(info.key)
    if (kept !== undefined && !old?.status?.nominatedNodeName) return this.add(info, kept)
    this.delete(info.key)
  }

  /** Pods nominated to node whose priority is at least `priority`, except `except`. */
  atLeast(node: string, priority: number, except: string): PodInfo[] {
    const m = this.byNode.get(node)
    if (!m) return []
    const out: PodInfo[] = []
    for (const p of m.values()) if (p.key !== except && p.priority >= priority) out.push(p)
    return out
  }

  /** Pods nominated to node with a priority below `priority`. */
  lowerThan(node: string, priority: number): PodInfo[] {
    return [...(this.byNode.get(node)?.values() ?? [])].filter((p) => p.priority < priority)
  }
}
