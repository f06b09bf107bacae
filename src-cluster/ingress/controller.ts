// The ingress controller on one node: informers on IngressClasses, Ingresses, Services,
// EndpointSlices, Secrets and the controllers' presence Leases feed a debounced sync that builds
// a new routing table and TLS table for the proxy, then (on the status-writing instance) brings
// Ingress status up to date. Creates the default IngressClass `kubelab` when absent.
import type { Client } from '../client'
import { InformerFactory, isAlreadyExists, isNotFound } from '../client'
import { realClock, type Clock, type TimerHandle } from '../util/clock'
import { classView, defaultIngressClass, isOurIngress } from './class'
import { liveInstances, Presence, PRESENCE_SELECTOR } from './presence'
import { IngressProxy, type IngressProxyOptions, type ProxyAddresses } from './proxy'
import { buildRoutingTable, byAge, type RoutingTable } from './routes'
import { isStatusWriter, statusChanges, writeStatus } from './status'
import { buildTlsTable } from './tls'
import { ADDRESS_ANNOTATION, DEFAULT_CLASS_NAME, PRESENCE_NAMESPACE } from './types'
import type { IngressClassObj, IngressObj, LeaseObj, SecretObj, ServiceObj, SliceObj } from '../kit/objects'
import { RES } from '../kit/resources'

export interface IngressControllerOptions {
  /** Informers shared with other components of this process (the node agent); default: its own. */
  readonly informers?: InformerFactory
  /** The node this instance runs on (names its presence Lease). */
  readonly node: string
  /** The address clients reach this node at: published in Ingress status. */
  readonly address: string
  /** Listeners; host defaults to `address`. */
  readonly proxy?: IngressProxyOptions
  /** Wait this long after a change so a burst of changes becomes one sync. Default 50 ms. */
  readonly debounceMs?: number
  /** Presence Lease renewal period (also how often liveness is re-checked). Default 10 s. */
  readonly renewMs?: number
  readonly leaseDurationSeconds?: number
  /** Create the default IngressClass when absent. Default true. */
  readonly createDefaultClass?: boolean
  readonly clock?: Clock
  readonly log?: (line: string) => void
}

/** Creates IngressClass `kubelab` (default class, our controller) unless one of that name exists. */
export async function ensureDefaultClass(client: Client): Promise<boolean> {
  if (await client.get(RES.ingressclasses, undefined, DEFAULT_CLASS_NAME)) return false
  try {
    await client.create(RES.ingressclasses, undefined, defaultIngressClass())
    return true
  } catch (e) {
    if (isAlreadyExists(e)) return false // another node made it first
    throw e
  }
}

export class IngressController {
  private readonly factory: InformerFactory
  private readonly proxy: IngressProxy
  private readonly presence: Presence
  private readonly log: (line: string) => void
  private readonly clock: Clock
  private current: RoutingTable = buildRoutingTable({ ingresses: [], services: [], slices: [] })
  private lastProblems = ''
  private timer: NodeJS.Timeout | undefined
  private tick: TimerHandle | undefined
  private running: Promise<void> | undefined
  private pending = false
  private stopped = false
  private waiters: (() => void)[] = []

  constructor(
    private readonly client: Client,
    private readonly opts: IngressControllerOptions,
  ) {
    this.log = opts.log ?? ((l) => console.log(l))
    this.clock = opts.clock ?? realClock
    this.factory = opts.informers?.scoped() ?? new InformerFactory(client, { log: this.log })
    this.proxy = new IngressProxy({ host: opts.address, ...opts.proxy, log: this.log })
    this.presence = new Presence(client, {
      node: opts.node,
      address: opts.address,
      renewMs: opts.renewMs,
      durationSeconds: opts.leaseDurationSeconds,
      clock: this.clock,
      log: this.log,
    })
  }

  private informers() {
    return {
      classes: this.factory.for<IngressClassObj>(RES.ingressclasses),
      ingresses: this.factory.for<IngressObj>(RES.ingresses),
      services: this.factory.for<ServiceObj>(RES.services),
      slices: this.factory.for<SliceObj>(RES.slices),
      secrets: this.factory.for<SecretObj>(RES.secrets),
      leases: this.factory.for<LeaseObj>(RES.leases, { namespace: PRESENCE_NAMESPACE, labelSelector: PRESENCE_SELECTOR }),
    }
  }

  /** Syncs caches, serves, announces itself; resolves with the listening addresses. */
  async start(): Promise<ProxyAddresses> {
    if (this.opts.createDefaultClass !== false && (await ensureDefaultClass(this.client)))
      this.log(`ingress: created default IngressClass ${DEFAULT_CLASS_NAME}`)
    const kick = (): void => this.schedule()
    for (const inf of Object.values(this.informers())) inf.addHandler({ add: kick, update: kick, delete: kick })
    await this.factory.startAll()
    // Routes before listening, so the first request already sees every Ingress.
    this.schedule()
    await this.nextSync()
    const addrs = await this.proxy.listen()
    await this.presence.start()
    const every = this.opts.renewMs ?? 10_000
    // Leases expire without any event: look again every renewal period.
    const again = (): void => {
      if (this.stopped) return
      this.schedule()
      this.tick = this.clock.after(every, again)
    }
    this.tick = this.clock.after(every, again)
    return addrs
  }

  /** The routing table the proxy uses now. */
  table(): RoutingTable {
    return this.current
  }

  /** Resolves when the next sync has finished. */
  nextSync(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve))
  }

  private schedule(): void {
    if (this.stopped) return
    this.pending = true
    if (this.timer || this.running) return
    this.timer = setTimeout(() => {
      this.timer = undefined
      this.running = this.loop()
    }, this.opts.debounceMs ?? 50)
  }

  private async loop(): Promise<void> {
    while (this.pending && !this.stopped) {
      this.pending = false
      try {
        await this.sync()
      } catch (e) {
        this.log(`ingress: sync failed, retrying in 1 s: ${(e as Error).message}`)
        setTimeout(() => this.schedule(), 1000).unref()
      }
      const w = this.waiters
      this.waiters = []
      for (const f of w) f()
    }
    this.running = undefined
  }

  private async sync(): Promise<void> {
    const inf = this.informers()
    const view = classView(inf.classes.list())
    const all = inf.ingresses.list()
    const ours = (i: IngressObj): boolean => isOurIngress(i, view)
    const mine = all.filter(ours).sort(byAge)
    this.current = buildRoutingTable({ ingresses: mine, services: inf.services.list(), slices: inf.slices.list() })
    this.proxy.setRoutes(this.current)
    const tls = buildTlsTable(mine, inf.secrets.list())
    this.proxy.setTls(tls)
    const problems = tls.problems.join('; ')
    if (problems && problems !== this.lastProblems) this.log(`ingress: ${problems}`)
    this.lastProblems = problems
    const leases = inf.leases.list()
    const live = liveInstances(leases, this.clock.now())
    if (!isStatusWriter(this.opts.node, live)) return
    const known = new Set(leases.map((l) => l.metadata?.annotations?.[ADDRESS_ANNOTATION] ?? '').filter(Boolean))
    const failed: string[] = []
    for (const c of statusChanges(all, ours, live, known)) {
      try {
        await writeStatus(this.client, c)
        this.log(`ingress: status of ${c.namespace}/${c.name}: ${c.ingress.map((i) => i.ip).join(', ') || 'no address'}`)
      } catch (e) {
        if (!isNotFound(e)) failed.push(`${c.namespace}/${c.name}: ${(e as Error).message}`) // deleted meanwhile: nothing to do
      }
    }
    if (failed.length) throw new Error(`could not write Ingress status of ${failed.join('; ')}`)
  }

  /** Stops serving, withdraws this node from Ingress status (its Lease) and stops watching. */
  async stop(): Promise<void> {
    this.stopped = true
    if (this.timer) clearTimeout(this.timer)
    this.tick?.cancel()
    await this.running
    await this.proxy.close()
    await this.presence.stop()
    this.factory.stopAll()
  }
}
