// Live lists for the renderer. One informer (list + watch) per cluster, type and namespace is
// shared by every view showing that list; each view gets its own batcher, so it receives a
// snapshot once and then coalesced changes about every 100 ms as `resources.batch` events.
import { randomUUID } from 'node:crypto'
import type { KubeObject } from '../../../src-cluster/api/object'
import { Informer, resourceRef } from '../../../src-cluster/client'
import type { ResourceBatch, ResourceTypeInfo, WatchParams, WatchSnapshot } from '../../contract'
import { resourceTypeInfo } from '../../contract'
import { RowBatcher } from './batcher'
import type { ClusterConnections } from './connections'
import { columnsFor, rowFor } from './rows'

interface Shared {
  informer: Informer
  info: ResourceTypeInfo
  watchers: Map<string, RowBatcher>
  problem: string | null
}

export interface WatchHubOptions {
  connections: ClusterConnections
  publish: (batch: ResourceBatch) => void
  /** How long the first list may take before the watch request fails. */
  syncTimeoutMs?: number
  batchIntervalMs?: number
}

export class WatchHub {
  private readonly shared = new Map<string, Shared>()
  private readonly byWatch = new Map<string, string>()

  constructor(private readonly opts: WatchHubOptions) {}

  async watch(params: WatchParams): Promise<WatchSnapshot> {
    const info = resourceTypeInfo(params.type)
    if (!info) throw new Error(`unknown resource type ${params.type}`)
    const namespace = info.namespaced ? params.namespace : null
    const sharedKey = `${params.cluster}|${info.type}|${namespace ?? '*'}`
    let s = this.shared.get(sharedKey)
    if (!s) {
      s = await this.startShared(params.cluster, info, namespace)
      // Another watch may have started it meanwhile; keep one.
      const raced = this.shared.get(sharedKey)
      if (raced) {
        s.informer.stop()
        s = raced
      } else this.shared.set(sharedKey, s)
    }
    const watchId = randomUUID()
    const shared = s
    shared.watchers.set(
      watchId,
      new RowBatcher((b) => this.opts.publish({ watchId, upserts: b.upserts, deletes: b.deletes, problem: shared.problem }), this.opts.batchIntervalMs),
    )
    this.byWatch.set(watchId, sharedKey)
    const now = new Date()
    return {
      watchId,
      columns: columnsFor(info),
      rows: shared.informer.list().map((o) => rowFor(info, o, now)),
      resourceVersion: shared.informer.lastSyncResourceVersion(),
    }
  }

  unwatch(watchId: string): void {
    const sharedKey = this.byWatch.get(watchId)
    if (!sharedKey) return
    this.byWatch.delete(watchId)
    const s = this.shared.get(sharedKey)
    if (!s) return
    s.watchers.get(watchId)?.cancel()
    s.watchers.delete(watchId)
    if (s.watchers.size === 0) {
      s.informer.stop()
      this.shared.delete(sharedKey)
    }
  }

  /** Informers currently running (one per distinct list on screen). */
  get informerCount(): number {
    return this.shared.size
  }

  close(): void {
    for (const id of [...this.byWatch.keys()]) this.unwatch(id)
  }

  private async startShared(cluster: string, info: ResourceTypeInfo, namespace: string | null): Promise<Shared> {
    const client = this.opts.connections.client(cluster)
    let failFirst: ((e: Error) => void) | undefined
    const firstFailure = new Promise<never>((_, reject) => (failFirst = reject))
    firstFailure.catch(() => undefined)
    const s: Shared = {
      info,
      watchers: new Map(),
      problem: null,
      informer: new Informer<KubeObject>(client, resourceRef(info.apiVersion, info.type), {
        namespace: namespace ?? undefined,
        log: (line) => {
          failFirst?.(new Error(`cannot list ${info.type} in cluster ${cluster}: ${line}`))
          this.setProblem(s, `lost the watch on ${info.type}: ${line}`)
        },
      }),
    }
    const each = (fn: (b: RowBatcher) => void): void => {
      for (const b of s.watchers.values()) fn(b)
    }
    s.informer.addHandler({
      add: (o) => {
        this.setProblem(s, null)
        const row = rowFor(info, o)
        each((b) => b.upsert(row))
      },
      update: (_old, o) => {
        this.setProblem(s, null)
        const row = rowFor(info, o)
        each((b) => b.upsert(row))
      },
      delete: (o) => {
        const row = rowFor(info, o)
        each((b) => b.delete(row.key, row.resourceVersion))
      },
    })
    const timeoutMs = this.opts.syncTimeoutMs ?? 15_000
    let timer: ReturnType<typeof setTimeout> | undefined
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`listing ${info.type} in cluster ${cluster} took over ${timeoutMs / 1000} s: is the cluster running?`)),
        timeoutMs,
      )
    })
    try {
      await Promise.race([s.informer.start(), firstFailure, timeout])
    } catch (e) {
      s.informer.stop()
      throw e
    } finally {
      clearTimeout(timer)
      failFirst = undefined
    }
    return s
  }

  private setProblem(s: Shared, problem: string | null): void {
    if (s.problem === problem) return
    s.problem = problem
    // Say it now even if no object changes: the view must show that its list went stale.
    for (const [watchId, b] of s.watchers) {
      b.flush()
      if (problem !== null) this.opts.publish({ watchId, upserts: [], deletes: [], problem })
    }
  }
}
