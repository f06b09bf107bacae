// Shared informers: every controller in a process asking for the same resource (and namespace
// and selectors) gets the same Informer, so each is listed and watched once.
import type { KubeObject } from '../api/errors'
import type { Clock } from '../util/clock'
import { Informer, type InformerOptions } from './informer'
import type { Client, ResourceRef } from './types'

export interface InformerFactoryOptions {
  readonly clock?: Clock
  readonly log?: (line: string) => void
  /** Default resync period for informers made here (0 = off). */
  readonly resyncMs?: number
}

export interface InformerFor {
  readonly namespace?: string
  readonly labelSelector?: string
  readonly fieldSelector?: string
}

export class InformerFactory {
  private readonly informers = new Map<string, Informer<KubeObject>>()
  private started = false

  constructor(
    readonly client: Client,
    private readonly opts: InformerFactoryOptions = {},
  ) {}

  /** The shared informer for (resource, namespace, selectors). Started at once if startAll() already ran. */
  for<T extends KubeObject = KubeObject>(res: ResourceRef, opts: InformerFor = {}): Informer<T> {
    const key = [res.group, res.version, res.plural, opts.namespace ?? '', opts.labelSelector ?? '', opts.fieldSelector ?? ''].join('|')
    let inf = this.informers.get(key)
    if (!inf) {
      // Shared informers feed controllers, which never read managedFields: keep them out of memory.
      const io: InformerOptions = { ...opts, clock: this.opts.clock, log: this.opts.log, resyncMs: this.opts.resyncMs, stripManagedFields: true }
      inf = new Informer<KubeObject>(this.client, res, io)
      this.informers.set(key, inf)
      if (this.started) void inf.start()
    }
    return inf as unknown as Informer<T>
  }

  /** Start every informer made so far (and later ones as they are made); resolves when all are synced. */
  async startAll(): Promise<void> {
    this.started = true
    await Promise.all([...this.informers.values()].map((i) => i.start()))
  }

  stopAll(): void {
    this.started = false
    for (const i of this.informers.values()) i.stop()
    this.informers.clear()
  }

  size(): number {
    return this.informers.size
  }
}
