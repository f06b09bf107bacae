// Shared informers: every controller in a process asking for the same resource (and namespace
// and selectors) gets the same Informer, so each is listed and watched once.
import type { KubeObject } from '../api/object'
import type { Clock } from '../util/clock'
import { Informer, type InformerOptions } from './informer'
import type { EventHandler } from './types'
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
  /** How many scoped views use each informer (see scoped()). */
  private readonly users = new Map<string, number>()
  private started = false

  constructor(
    readonly client: Client,
    private readonly opts: InformerFactoryOptions = {},
  ) {}

  /** The shared informer for (resource, namespace, selectors). Started at once if startAll() already ran. */
  for<T extends KubeObject = KubeObject>(res: ResourceRef, opts: InformerFor = {}): Informer<T> {
    const key = informerKey(res, opts)
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

  /**
   * One component's share of this factory, for components that run in one process (the node
   * agent) and start and stop on their own: for() hands out the shared informers (listed and
   * watched once for all), and stopAll() removes only the handlers this view added and releases
   * its informers; an informer stops when no view uses it any more.
   */
  scoped(): InformerFactory {
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const shared = this
    const mine = new Map<string, { inf: Informer<KubeObject>; handlers: EventHandler<KubeObject>[] }>()
    const view = Object.create(InformerFactory.prototype) as InformerFactory
    const release = (): void => {
      for (const [key, m] of mine) {
        for (const h of m.handlers) m.inf.removeHandler(h)
        const n = (shared.users.get(key) ?? 1) - 1
        if (n > 0) shared.users.set(key, n)
        else {
          shared.users.delete(key)
          shared.informers.delete(key)
          m.inf.stop()
        }
      }
      mine.clear()
    }
    return Object.assign(view, {
      client: shared.client,
      for<T extends KubeObject = KubeObject>(res: ResourceRef, opts: InformerFor = {}): Informer<T> {
        const key = informerKey(res, opts)
        let m = mine.get(key)
        if (!m) {
          const inf = shared.for(res, opts)
          shared.users.set(key, (shared.users.get(key) ?? 0) + 1)
          const handlers: EventHandler<KubeObject>[] = []
          // The shared informer, except that the handlers this view adds are remembered for release().
          const proxied = new Proxy(inf, {
            get(target, prop) {
              if (prop === 'addHandler')
                return (h: EventHandler<KubeObject>) => {
                  handlers.push(h)
                  target.addHandler(h)
                }
              const v = Reflect.get(target, prop, target) as unknown
              return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v
            },
          })
          m = { inf: proxied, handlers }
          mine.set(key, m)
        }
        return m.inf as unknown as Informer<T>
      },
      async startAll(): Promise<void> {
        shared.started = true
        await Promise.all([...mine.values()].map((m) => m.inf.start()))
      },
      stopAll: release,
      size: () => mine.size,
      scoped: () => shared.scoped(),
    })
  }
}

function informerKey(res: ResourceRef, opts: InformerFor): string {
  return [res.group, res.version, res.plural, opts.namespace ?? '', opts.labelSelector ?? '', opts.fieldSelector ?? ''].join('|')
}
