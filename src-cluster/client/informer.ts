// An informer: a cache of one resource kept current by list + watch, telling handlers about
// every add, update and delete in order. It survives everything the API server can do to a
// watch — timeouts, compaction (410 → re-list and diff), restarts (retry with back-off) — until
// stop() is called.
import type { KubeObject } from '../api/object'
import { matchLabels, parseLabelSelector } from '../api/selectors'
import { realClock, type Clock, type TimerHandle } from '../util/clock'
import { ApiClientError, isExpired } from './errors'
import type { Client, EventHandler, InformerShape, ResourceRef, WatchEventOf } from './types'
import { keyOf } from '../kit/keys'
import { share, shareAs } from './shared-objects'

export interface InformerOptions {
  readonly namespace?: string
  readonly labelSelector?: string
  readonly fieldSelector?: string
  /** Re-deliver update(obj, obj) for every cached object this often. Off (0) by default. */
  readonly resyncMs?: number
  /** Used for the resync timer only; network back-off uses real time. */
  readonly clock?: Clock
  /** Where handler failures and connection trouble are reported. Default console.warn. */
  readonly log?: (line: string) => void
  /** Objects per page of the initial list. Default 500. */
  readonly pageSize?: number
  /**
   * Drop metadata.managedFields from cached objects (as upstream components do with a
   * transform): they are bookkeeping a controller never reads, and often half an object's size.
   * Writes of such objects keep the stored entries (an absent list means "unchanged").
   */
  readonly stripManagedFields?: boolean
}

/** A named index: the values an object is filed under (e.g. a pod's node name). */
export type IndexFunc<T> = (obj: T) => readonly string[]

const MAX_BACKOFF_MS = 5_000

export class Informer<T extends KubeObject = KubeObject> implements InformerShape<T> {
  private readonly cache = new Map<string, T>()
  private readonly handlers: EventHandler<T>[] = []
  private readonly indexers = new Map<string, IndexFunc<T>>()
  private readonly indices = new Map<string, Map<string, Set<string>>>()
  private synced = false
  private stopped = false
  private running: Promise<void> | undefined
  private syncedPromise: Promise<void> | undefined
  private resolveSynced: (() => void) | undefined
  private currentWatch: { stop(): void } | undefined
  private sleepTimer: { timer: NodeJS.Timeout; wake: () => void } | undefined
  private resyncTimer: TimerHandle | undefined
  private lastRv = ''
  private readonly clock: Clock
  private readonly log: (line: string) => void
  private readonly what: string

  constructor(
    readonly client: Client,
    readonly res: ResourceRef,
    readonly opts: InformerOptions = {},
  ) {
    this.clock = opts.clock ?? realClock
    this.log = opts.log ?? ((l) => console.warn(l))
    this.what = `${res.plural}${opts.namespace ? ` in ${opts.namespace}` : ''}${opts.labelSelector ? ` (${opts.labelSelector})` : ''}${opts.fieldSelector ? ` (${opts.fieldSelector})` : ''}`
    // Cluster-wide informers answer "objects in namespace X" without scanning.
    if (res.namespaced) this.addIndexer('namespace', (o) => [o.metadata?.namespace ?? ''])
  }

  /** Handlers added after the cache is filled first get add() for everything already in it. */
  addHandler(eventHandler: EventHandler<T>): void {
    this.handlers.push(eventHandler)
    if (this.synced && eventHandler.add) for (const obj of this.cache.values()) this.call('add', () => eventHandler.add?.(obj))
  }

  /** Stops calling a handler (a component sharing this informer stopped). */
  removeHandler(eventHandler: EventHandler<T>): void {
    const i = this.handlers.indexOf(eventHandler)
    if (i >= 0) this.handlers.splice(i, 1)
  }

  /** File objects under extra keys for byIndex(name, value). Add before start(). */
  addIndexer(name: string, fn: IndexFunc<T>): void {
    if (this.indexers.has(name)) return
    this.indexers.set(name, fn)
    const idx = new Map<string, Set<string>>()
    this.indices.set(name, idx)
    for (const [key, obj] of this.cache) this.indexOne(name, fn, idx, key, obj)
  }

  start(): Promise<void> {
    if (!this.syncedPromise) {
      this.syncedPromise = new Promise((resolve) => (this.resolveSynced = resolve))
      this.running = this.run()
      if (this.opts.resyncMs && this.opts.resyncMs > 0) this.scheduleResync(this.opts.resyncMs)
    }
    return this.syncedPromise
  }

  stop(): void {
    if (this.stopped) return
    this.stopped = true
    this.currentWatch?.stop()
    this.resyncTimer?.cancel()
    this.sleepTimer?.wake()
    // Anyone waiting on start() is released; hasSynced() tells them whether the cache is filled.
    this.resolveSynced?.()
  }

  /** Resolves once the run loop has exited after stop(). */
  async whenStopped(): Promise<void> {
    await this.running
  }

  hasSynced(): boolean {
    return this.synced
  }

  get(key: string): T | undefined {
    return this.cache.get(key)
  }

  getByName(namespace: string | undefined, name: string): T | undefined {
    return this.cache.get(namespace ? `${namespace}/${name}` : name)
  }

  list(): T[] {
    return [...this.cache.values()]
  }

  /**
   * Objects filed under `value` in a named index. Built in: 'namespace' (namespaced resources) and
   * 'labels' (value is a label selector string, matched against every cached object).
   */
  byIndex(index: string, value: string): T[] {
    if (index === 'labels') {
      const sel = parseLabelSelector(value)
      return this.list().filter((o) => matchLabels(sel, o.metadata?.labels ?? {}))
    }
    const idx = this.indices.get(index)
    if (!idx) throw new Error(`informer for ${this.what} has no index ${JSON.stringify(index)}: add it with addIndexer() before start()`)
    const keys = idx.get(value)
    if (!keys) return []
    const out: T[] = []
    for (const k of keys) {
      const o = this.cache.get(k)
      if (o) out.push(o)
    }
    return out
  }

  /** The resourceVersion the cache reflects. */
  lastSyncResourceVersion(): string {
    return this.lastRv
  }

  // ---- the list/watch loop ----

  private async run(): Promise<void> {
    let needList = true
    let failures = 0
    while (!this.stopped) {
      try {
        if (needList) {
          await this.relist()
          needList = false
          failures = 0
          if (this.stopped) break
        }
        const began = Date.now()
        const outcome = await this.watchOnce()
        if (outcome === 'expired') needList = true
        else if (outcome === 'events') failures = 0
        // A server that ends every watch at once must not be hammered in a tight loop.
        else if (Date.now() - began < 1000) await this.sleep(1000)
      } catch (e) {
        if (this.stopped) break
        if (isExpired(e)) {
          needList = true
          continue
        }
        failures++
        const delay = Math.min(MAX_BACKOFF_MS, 100 * 2 ** Math.min(failures, 10))
        if (failures === 1 || failures % 10 === 0) this.log(`informer ${this.what}: ${(e as Error).message}; retrying in ${delay} ms`)
        await this.sleep(delay)
      }
    }
  }

  private async relist(): Promise<void> {
    const fresh = new Map<string, T>()
    let cont: string | undefined
    let rv = ''
    do {
      const page = await this.client.list<T>(this.res, {
        namespace: this.opts.namespace,
        labelSelector: this.opts.labelSelector,
        fieldSelector: this.opts.fieldSelector,
        limit: this.opts.pageSize ?? 500,
        continue: cont,
      })
      for (const o of page.items) fresh.set(keyOf(o), this.transform(o))
      cont = page.continue
      rv = page.resourceVersion
    } while (cont && !this.stopped)
    if (this.stopped) return
    this.replace(fresh)
    this.lastRv = rv
    if (!this.synced) {
      this.synced = true
      this.resolveSynced?.()
    }
  }

  /** Swap in a fresh list, telling handlers what differs from the cache. */
  private replace(fresh: Map<string, T>): void {
    for (const [key, old] of [...this.cache]) {
      if (!fresh.has(key)) {
        this.remove(key)
        this.emit('delete', old, old)
      }
    }
    for (const [key, obj] of fresh) {
      const old = this.cache.get(key)
      if (!old) {
        this.put(key, obj)
        this.emit('add', obj, obj)
      } else if (old.metadata?.resourceVersion !== obj.metadata?.resourceVersion || old.metadata?.uid !== obj.metadata?.uid) {
        this.put(key, obj)
        this.emit('update', old, obj)
      }
    }
  }

  /** One watch from the last resourceVersion; says how it ended. Throws on network/HTTP errors. */
  private async watchOnce(): Promise<'expired' | 'events' | 'quiet'> {
    let expired = false
    let sawEvents = false
    let error: ApiClientError | undefined
    const handle = this.client.watch<T>(
      this.res,
      {
        namespace: this.opts.namespace,
        labelSelector: this.opts.labelSelector,
        fieldSelector: this.opts.fieldSelector,
        resourceVersion: this.lastRv,
        allowWatchBookmarks: true,
        timeoutSeconds: 300 + Math.floor(Math.random() * 300),
        // The cache shares what it holds and never changes it.
        readOnlyObjects: true,
      },
      (ev) => {
        if (this.stopped) return
        if (ev.type === 'ERROR') {
          const st = ev.object as Record<string, unknown>
          const code = typeof st.code === 'number' ? st.code : 0
          if (code === 410 || st.reason === 'Expired' || st.reason === 'Gone') expired = true
          else
            error = new ApiClientError(
              code,
              String(st.reason ?? 'Unknown'),
              `watch ${this.what} ended with an error: ${String(st.message ?? JSON.stringify(st))}`,
              st,
            )
          return
        }
        sawEvents = true
        this.apply(ev)
      },
    )
    this.currentWatch = handle
    try {
      await handle.done
    } finally {
      this.currentWatch = undefined
    }
    if (expired) return 'expired'
    if (error) throw error
    return sawEvents ? 'events' : 'quiet'
  }

  /**
   * A decoded object as the cache keeps it: managedFields dropped when asked (on a copy: a watch
   * event's object may be the API server's own), then the process's one copy of that object
   * version (shared with every other informer holding it; read-only).
   */
  private transform(obj: T): T {
    if (!this.opts.stripManagedFields) return share(obj, 'whole')
    // The copy is made only if no other informer in the process already holds this version without managedFields.
    return shareAs(obj, 'no-managed-fields', withoutManagedFields)
  }

  private apply(ev: WatchEventOf<T>): void {
    if (ev.type === 'BOOKMARK') {
      const rv = ev.object.metadata?.resourceVersion
      if (rv) this.lastRv = rv
      return
    }
    const obj = this.transform(ev.object)
    const rv = obj.metadata?.resourceVersion
    const key = keyOf(obj)
    const old = this.cache.get(key)
    if (ev.type === 'DELETED') {
      this.remove(key)
      this.emit('delete', old ?? obj, obj)
    } else {
      this.put(key, obj)
      if (old) this.emit('update', old, obj)
      else this.emit('add', obj, obj)
    }
    if (rv) this.lastRv = rv
  }

  private emit(kind: 'add' | 'update' | 'delete', old: T, obj: T): void {
    for (const h of this.handlers) {
      if (kind === 'add') this.call(kind, () => h.add?.(obj))
      else if (kind === 'update') this.call(kind, () => h.update?.(old, obj))
      else this.call(kind, () => h.delete?.(obj))
    }
  }

  private call(kind: string, fn: () => void): void {
    try {
      fn()
    } catch (e) {
      this.log(`informer ${this.what}: ${kind} handler failed: ${(e as Error)?.stack ?? String(e)}`)
    }
  }

  private put(key: string, obj: T): void {
    const old = this.cache.get(key)
    if (old) this.unindex(key, old)
    this.cache.set(key, obj)
    for (const [name, fn] of this.indexers) this.indexOne(name, fn, this.indices.get(name)!, key, obj)
  }

  private remove(key: string): void {
    const old = this.cache.get(key)
    if (!old) return
    this.unindex(key, old)
    this.cache.delete(key)
  }

  private indexOne(name: string, fn: IndexFunc<T>, idx: Map<string, Set<string>>, key: string, obj: T): void {
    let values: readonly string[]
    try {
      values = fn(obj)
    } catch (e) {
      this.log(`informer ${this.what}: index ${name} failed for ${key}: ${(e as Error).message}`)
      return
    }
    for (const v of values) {
      let set = idx.get(v)
      if (!set) idx.set(v, (set = new Set()))
      set.add(key)
    }
  }

  private unindex(key: string, obj: T): void {
    for (const [name, fn] of this.indexers) {
      const idx = this.indices.get(name)!
      let values: readonly string[] = []
      try {
        values = fn(obj)
      } catch {
        // indexOne already reported it
      }
      for (const v of values) {
        const set = idx.get(v)
        set?.delete(key)
        if (set?.size === 0) idx.delete(v)
      }
    }
  }

  private scheduleResync(ms: number): void {
    this.resyncTimer = this.clock.after(ms, () => {
      if (this.stopped) return
      if (this.synced) for (const obj of this.cache.values()) this.emit('update', obj, obj)
      this.scheduleResync(ms)
    })
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = (): void => {
        clearTimeout(timer)
        this.sleepTimer = undefined
        resolve()
      }
      const timer = setTimeout(wake, ms)
      this.sleepTimer = { timer, wake }
    })
  }
}

/** `obj` without metadata.managedFields: a copy when it has them (a watch event's object may be the API server's own). */
function withoutManagedFields<T extends KubeObject>(obj: T): T {
  if (!obj.metadata?.managedFields) return obj
  const { managedFields: _, ...metadata } = obj.metadata
  return { ...obj, metadata }
}
