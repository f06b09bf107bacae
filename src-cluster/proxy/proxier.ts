// The service proxy's control loop: Service and EndpointSlice informers feed a debounced sync
// that rebuilds the whole ruleset and applies it atomically. Bursts of changes coalesce into one
// sync, and a change is applied well within a second. stop({ cleanup: true }) removes our rules.
import type { Client } from '../client'
import { InformerFactory } from '../client'
import { hostCommands, type HostCommands } from '../kit/host'
import { ensureProxyJumps, listChains, removeProxyRules, restoreRules } from './iptables'
import { servicePorts } from './model'
import { buildProxyRules, DYNAMIC_CHAIN } from './rules'
import type { ServiceObj, SliceObj } from '../kit/objects'
import { RES } from '../kit/resources'

export interface ServiceProxyOptions {
  /** Informers shared with other components of this process (the node agent); default: its own. */
  readonly informers?: InformerFactory
  /** Pod network of the cluster; off-cluster traffic to cluster IPs is masqueraded. */
  readonly clusterCIDR?: string
  /** Program iptables in this named network namespace instead of our own (tests). */
  readonly netns?: string
  /** Wait this long after a change so a burst of changes becomes one sync. Default 50 ms. */
  readonly debounceMs?: number
  /** Re-apply even without changes this often, repairing rules someone else removed. Default 60 s. */
  readonly resyncMs?: number
  readonly log?: (line: string) => void
}

export interface ProxyState {
  readonly services: readonly ServiceObj[]
  readonly slices: readonly SliceObj[]
}

/** Applies proxy rules for a given state; no API access (usable with in-memory objects). */
export class RuleSyncer {
  private readonly cmd: HostCommands
  private lastText = ''
  private jumpsReady = false

  constructor(private readonly opts: ServiceProxyOptions = {}) {
    this.cmd = hostCommands(opts.netns)
  }

  /** Rebuild and apply; skipped when nothing changed unless `force`. Returns whether it applied. */
  async sync(state: ProxyState, force = false): Promise<boolean> {
    const ports = servicePorts(state.services, state.slices)
    const existing = (await listChains(this.cmd, 'nat')).filter((c) => DYNAMIC_CHAIN.test(c))
    const text = buildProxyRules({ ports, clusterCIDR: this.opts.clusterCIDR, existingNatChains: existing })
    if (!force && text === this.lastText && this.jumpsReady) return false
    // Chains must exist before jumps can name them: restore first, then the jumps.
    await restoreRules(this.cmd, text)
    if (!this.jumpsReady || force) {
      await ensureProxyJumps(this.cmd)
      this.jumpsReady = true
    }
    // Remembered without the stale-chain part, which differs once they are gone.
    this.lastText = buildProxyRules({ ports, clusterCIDR: this.opts.clusterCIDR })
    return true
  }

  async cleanup(): Promise<void> {
    await removeProxyRules(this.cmd)
    this.lastText = ''
    this.jumpsReady = false
  }
}

export class ServiceProxy {
  private readonly factory: InformerFactory
  private readonly syncer: RuleSyncer
  private readonly log: (line: string) => void
  private timer: NodeJS.Timeout | undefined
  private resync: NodeJS.Timeout | undefined
  private running: Promise<void> | undefined
  private pending = false
  private force = false
  private stopped = false
  /** Resolves after the next completed sync (tests and the CLI's first-sync message). */
  private waiters: (() => void)[] = []

  constructor(
    client: Client,
    private readonly opts: ServiceProxyOptions = {},
  ) {
    this.log = opts.log ?? ((l) => console.log(l))
    this.factory = opts.informers?.scoped() ?? new InformerFactory(client, { log: this.log })
    this.syncer = new RuleSyncer(opts)
  }

  async start(): Promise<void> {
    const services = this.factory.for<ServiceObj>(RES.services)
    const slices = this.factory.for<SliceObj>(RES.slices)
    const kick = (): void => this.schedule()
    for (const inf of [services, slices]) inf.addHandler({ add: kick, update: kick, delete: kick })
    await this.factory.startAll()
    this.force = true
    this.schedule()
    const every = this.opts.resyncMs ?? 60_000
    this.resync = setInterval(() => {
      this.force = true
      this.schedule()
    }, every)
    this.resync.unref()
    await this.nextSync()
  }

  /** Resolves when the next sync has finished (whether or not it changed anything). */
  nextSync(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve))
  }

  private state(): ProxyState {
    return {
      services: this.factory.for<ServiceObj>(RES.services).list(),
      slices: this.factory.for<SliceObj>(RES.slices).list(),
    }
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
      const force = this.force
      this.force = false
      try {
        const applied = await this.syncer.sync(this.state(), force)
        if (applied) this.log(`proxy: rules synced (${this.state().services.length} services)`)
      } catch (e) {
        this.log(`proxy: sync failed, retrying in 1 s: ${(e as Error).message}`)
        setTimeout(() => {
          this.force = true
          this.schedule()
        }, 1000).unref()
      }
      const w = this.waiters
      this.waiters = []
      for (const f of w) f()
    }
    this.running = undefined
  }

  /** Stop watching; with cleanup, remove every rule and chain the proxy made. */
  async stop(opts: { cleanup?: boolean } = {}): Promise<void> {
    this.stopped = true
    if (this.timer) clearTimeout(this.timer)
    if (this.resync) clearInterval(this.resync)
    this.factory.stopAll()
    await this.running
    if (opts.cleanup) await this.syncer.cleanup()
  }
}
