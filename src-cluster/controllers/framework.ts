// The controller pattern every controller here follows: shared informers feed keys into a work
// queue; workers reconcile one key at a time from the caches and write through the client;
// failures (409 conflicts included) are retried with per-key back-off. Every controller builds
// on ControllerQueue: one work queue on the context's Clock (delays and back-off included),
// delayed requeues that can be cancelled, and the workers; Expectations for those that create.
import type { Client, InformerFactory, EventRecorder } from '../client'
import { WorkQueue } from '../client/workqueue'
import { ApiClientError } from '../client/errors'
import { InformerFactory as Factory } from '../client/factory'
import { EventRecorder as Recorder } from '../client/events'
import { realClock, type Clock, type TimerHandle } from '../util/clock'

export interface ControllerOptions {
  /** A node whose heartbeat is older than this becomes Ready=Unknown. Default 40 s. */
  readonly nodeMonitorGracePeriodSeconds: number
  /** How often node health is checked. Default 5 s. */
  readonly nodeMonitorPeriodSeconds: number
  /** Grace for a node that never reported since registering. Default 60 s. */
  readonly nodeStartupGracePeriodSeconds: number
  /** Eviction delay for pods on an unhealthy node without their own toleration. Default 300 s. */
  readonly podEvictionTimeoutSeconds: number
  /** tolerationSeconds of the default not-ready/unreachable tolerations. Default 300 s. */
  readonly defaultTolerationSeconds: number
  /** Pod network of the cluster; each node gets a slice of it. Default 10.244.0.0/16. */
  readonly clusterCIDR: string
  /** Prefix length of each node's podCIDR. Default 24. */
  readonly nodeCIDRMaskSize: number
  /** Issuer written into service account tokens, if the cluster sets one. */
  readonly serviceAccountIssuer?: string
  /** Workers per controller. Default 5. */
  readonly concurrentSyncs: number
  /** HPA evaluation period. Default 15 s. */
  readonly horizontalPodAutoscalerSyncPeriodSeconds: number
  /** Addresses for LoadBalancer Services (a CIDR on the node network); none: they stay <pending>. */
  readonly loadBalancerPool?: string
  /** HPA waits this long before scaling down. Default 300 s. */
  readonly horizontalPodAutoscalerDownscaleStabilizationSeconds: number
  /** HPA ignores ratios within 1 ± this. Default 0.1. */
  readonly horizontalPodAutoscalerTolerance: number
  /** Terminated pods kept before the pod GC deletes the oldest. Default 12 500. */
  readonly terminatedPodGCThreshold: number
  /** Full recount of every ResourceQuota (releases charges of writes that failed). Default 300 s. */
  readonly resourceQuotaSyncPeriodSeconds: number
  /** CA that signs approved CSRs for the kubernetes.io signers, as files (read when signing)... */
  readonly clusterSigningCertFile?: string
  readonly clusterSigningKeyFile?: string
  /** ...or in memory (the one-process control plane passes the API server's CA). */
  readonly clusterSigningCa?: { readonly certPem: string; readonly keyPem: string }
  /** Longest certificate the CSR signer issues. Default 1 year (8760h), as upstream. */
  readonly clusterSigningDurationSeconds: number
}

export function defaultControllerOptions(overrides: Partial<ControllerOptions> = {}): ControllerOptions {
  return {
    nodeMonitorGracePeriodSeconds: 40,
    nodeMonitorPeriodSeconds: 5,
    nodeStartupGracePeriodSeconds: 60,
    podEvictionTimeoutSeconds: 300,
    defaultTolerationSeconds: 300,
    clusterCIDR: '10.244.0.0/16',
    nodeCIDRMaskSize: 24,
    concurrentSyncs: 5,
    horizontalPodAutoscalerSyncPeriodSeconds: 15,
    horizontalPodAutoscalerDownscaleStabilizationSeconds: 300,
    horizontalPodAutoscalerTolerance: 0.1,
    terminatedPodGCThreshold: 12_500,
    resourceQuotaSyncPeriodSeconds: 300,
    clusterSigningDurationSeconds: 365 * 24 * 3600,
    ...overrides,
  }
}

export interface ControllerContext {
  readonly client: Client
  readonly informers: InformerFactory
  /** One recorder per component name (e.g. 'deployment-controller'), shared by callers. */
  readonly recorder: (component: string) => EventRecorder
  readonly clock: Clock
  readonly options: ControllerOptions
  readonly log: (line: string) => void
}

export interface Controller {
  readonly name: string
  /** Set up informers, handlers and workers; resolves once the controller is running. */
  start(ctx: ControllerContext): Promise<void>
  stop(): void
}

/** A ControllerContext with shared informers and per-component recorders over one client. */
export function createControllerContext(args: {
  client: Client
  clock?: Clock
  options?: Partial<ControllerOptions>
  log?: (line: string) => void
  host?: string
}): ControllerContext {
  const clock = args.clock ?? realClock
  const log = args.log ?? ((l: string) => console.log(l))
  const informers = new Factory(args.client, { clock, log })
  const recorders = new Map<string, EventRecorder>()
  return {
    client: args.client,
    informers,
    clock,
    log,
    options: defaultControllerOptions(args.options),
    recorder(component) {
      let r = recorders.get(component)
      if (!r) recorders.set(component, (r = new Recorder(args.client, component, clock, { host: args.host, log })))
      return r
    },
  }
}

export type ReconcileResult = void | { requeueAfterMs: number }

/**
 * Run `workers` loops: take a key, reconcile it, then forget its back-off (success) or retry it
 * rate-limited (failure). A result { requeueAfterMs } re-queues the key after that delay. The
 * returned function shuts the queue down and resolves when every worker has finished its key.
 */
export function runWorkers(
  name: string,
  queue: WorkQueue<string>,
  workers: number,
  reconcile: (key: string) => Promise<ReconcileResult>,
  log: (line: string) => void,
): () => Promise<void> {
  const loop = async (): Promise<void> => {
    for (;;) {
      const key = await queue.get()
      if (key === undefined) return
      try {
        const out = await reconcile(key)
        queue.forget(key)
        if (out && out.requeueAfterMs >= 0) queue.addAfter(key, out.requeueAfterMs)
      } catch (e) {
        if (e instanceof ApiClientError && e.code === 409) {
          // Someone else wrote first: read fresh state from the cache and try again.
          log(`${name}: conflict on ${key}, retrying: ${e.message}`)
        } else {
          log(`${name}: error syncing ${key}: ${(e as Error)?.message ?? String(e)}`)
        }
        queue.addRateLimited(key)
      } finally {
        queue.done(key)
      }
    }
  }
  const running = Array.from({ length: Math.max(1, workers) }, () => loop())
  return async () => {
    queue.shutDown()
    await Promise.all(running)
  }
}

/**
 * A controller's queue: a WorkQueue on the context's Clock, delayed requeues (one timer per key,
 * cancellable; an earlier pending one wins) and, once run() is called, the workers.
 */
export class ControllerQueue {
  readonly queue: WorkQueue<string>
  private readonly timers = new Map<string, { at: number; h: TimerHandle }>()
  private stopWorkers: (() => Promise<void>) | undefined

  constructor(
    private readonly ctx: ControllerContext,
    readonly name: string,
  ) {
    this.queue = new WorkQueue<string>({ clock: ctx.clock })
  }

  add(key: string): void {
    this.queue.add(key)
  }

  /** Queue `key` after `ms` of the context's time, unless an earlier requeue is still pending. */
  after(key: string, ms: number): void {
    const clock = this.ctx.clock
    const at = clock.now().getTime() + Math.max(0, ms)
    const prev = this.timers.get(key)
    if (prev && prev.at <= at && prev.at > clock.now().getTime()) return
    prev?.h.cancel()
    const h = clock.after(Math.max(0, ms), () => {
      if (this.timers.get(key)?.h === h) this.timers.delete(key)
      this.queue.add(key)
    })
    this.timers.set(key, { at, h })
  }

  /** Drop a pending delayed requeue of `key`. */
  cancel(key: string): void {
    this.timers.get(key)?.h.cancel()
    this.timers.delete(key)
  }

  /** Start `workers` loops reconciling keys (see runWorkers). */
  run(workers: number, reconcile: (key: string) => Promise<ReconcileResult>): void {
    this.stopWorkers = runWorkers(this.name, this.queue, workers, reconcile, this.ctx.log)
  }

  /** Cancel delayed requeues and shut the queue down; workers finish the key they hold. */
  stop(): void {
    for (const t of this.timers.values()) t.h.cancel()
    this.timers.clear()
    this.queue.shutDown()
    void this.stopWorkers?.().catch(() => {})
    this.stopWorkers = undefined
  }
}

/** A ControllerQueue whose workers run at once (controllers that tolerate unsynced caches). */
export function startQueue(ctx: ControllerContext, name: string, workers: number, reconcile: (key: string) => Promise<ReconcileResult>): ControllerQueue {
  const q = new ControllerQueue(ctx, name)
  q.run(workers, reconcile)
  return q
}

/**
 * client-go's ControllerExpectations: after a controller asks for N creates/deletes for a key,
 * it waits until its informer has seen them (or a timeout passes) before acting on that key
 * again, so it never double-creates from a stale cache.
 */
export class Expectations {
  private readonly items = new Map<string, { add: number; del: number; at: number; deleting: Set<string> }>()

  constructor(
    private readonly clock: Clock,
    /** After this long without progress, expectations are ignored (client-go: 5 minutes). */
    private readonly ttlMs = 5 * 60_000,
  ) {}

  /** Expect `adds` creations and the deletion of these pod keys for controller `key`. */
  expect(key: string, adds: number, deletes: readonly string[] = []): void {
    this.items.set(key, { add: adds, del: deletes.length, at: this.clock.now().getTime(), deleting: new Set(deletes) })
  }

  /** An informer saw a creation for controller `key`. */
  observeCreate(key: string): void {
    const e = this.items.get(key)
    if (e && e.add > 0) e.add--
  }

  /** An informer saw a deletion (or a deletionTimestamp) of `podKey` owned by controller `key`. */
  observeDelete(key: string, podKey?: string): void {
    const e = this.items.get(key)
    if (!e) return
    if (podKey !== undefined) {
      if (!e.deleting.delete(podKey)) return
    }
    if (e.del > 0) e.del--
  }

  /** A create call failed: the informer will never see it, so stop waiting for it. */
  creationFailed(key: string): void {
    this.observeCreate(key)
  }

  /** A delete call failed or found nothing. */
  deletionFailed(key: string, podKey?: string): void {
    this.observeDelete(key, podKey)
  }

  /** True when the controller may act on `key`: nothing pending, or the expectations expired. */
  satisfied(key: string): boolean {
    const e = this.items.get(key)
    if (!e) return true
    if (e.add <= 0 && e.del <= 0) return true
    return this.clock.now().getTime() - e.at > this.ttlMs
  }

  delete(key: string): void {
    this.items.delete(key)
  }
}
