// Leader election on a coordination.k8s.io/v1 Lease, as client-go's tools/leaderelection does it
// for kube-scheduler and kube-controller-manager: several replicas race for one Lease; the holder
// renews it every retry period and gives up leading when it could not renew within the renew
// deadline; the others take it over once they have seen it unchanged for a lease duration.
// Validity is judged on the local clock from when this replica last saw the record change, so
// clocks are never compared across nodes. Writes are full PUTs with the resourceVersion read,
// so the API server's optimistic concurrency (409) is the lock.
import { hostname } from 'node:os'
import { randomUUID } from 'node:crypto'
import type { KubeObject } from '../api/object'
import type { Client } from '../client/types'
import { isAlreadyExists, isConflict } from '../client/errors'
import { realClock, type Clock, type TimerHandle } from '../util/clock'
import { RES } from '../kit/resources'
import { microTime } from '../kit/time'

export interface LeaseSpec {
  holderIdentity?: string
  leaseDurationSeconds?: number
  acquireTime?: string
  renewTime?: string
  leaseTransitions?: number
}

export type LeaseObject = KubeObject & { spec?: LeaseSpec }

export interface LeaderElectionTiming {
  /** How long others wait, after last seeing the lease change, before taking it (default 15 s). */
  readonly leaseDurationMs: number
  /** How long the holder keeps trying to renew before it stops leading (default 10 s). */
  readonly renewDeadlineMs: number
  /** Between attempts to acquire or renew (default 2 s). */
  readonly retryPeriodMs: number
}

export const DEFAULT_LEADER_ELECTION: LeaderElectionTiming = { leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 }

/** Upstream's jitter factor for acquire retries (2 s becomes 2–4.4 s). */
const JITTER = 1.2

export interface LeaderElectorOptions {
  readonly client: Client
  readonly namespace: string
  readonly name: string
  /** Default `hostname_uuid`, as upstream. */
  readonly identity?: string
  readonly timing?: Partial<LeaderElectionTiming>
  readonly clock?: Clock
  readonly log?: (line: string) => void
  /** Called once this replica holds the lease: start the loops. */
  readonly onStartedLeading: () => void | Promise<void>
  /** Called once when it stops holding it (lost or released): stop the loops. */
  readonly onStoppedLeading: () => void
  /** Every change of holder seen (including this replica). */
  readonly onNewLeader?: (identity: string) => void
  /** Random numbers for the jitter (tests pin it). */
  readonly random?: () => number
}

/** The checks client-go makes on the three durations. */
export function validateTiming(electionTiming: LeaderElectionTiming): void {
  if (!(electionTiming.leaseDurationMs > electionTiming.renewDeadlineMs))
    throw new Error(
      `leader election: the lease duration (${electionTiming.leaseDurationMs / 1000}s) must be greater than the renew deadline (${electionTiming.renewDeadlineMs / 1000}s)`,
    )
  if (!(electionTiming.renewDeadlineMs > JITTER * electionTiming.retryPeriodMs)) {
    throw new Error(
      `leader election: the renew deadline (${electionTiming.renewDeadlineMs / 1000}s) must be greater than ${JITTER} × the retry period (${electionTiming.retryPeriodMs / 1000}s)`,
    )
  }
  if (!(electionTiming.retryPeriodMs > 0)) throw new Error('leader election: the retry period must be positive')
}

export function defaultIdentity(): string {
  // Local nodes share the host's hostname; their supervisor names the node in KUBELAB_NODE_NAME.
  return `${process.env.KUBELAB_NODE_NAME || hostname()}_${randomUUID()}`
}

export class LeaderElector {
  readonly identity: string
  private readonly timing: LeaderElectionTiming
  private readonly clock: Clock
  private readonly log: (line: string) => void
  private readonly random: () => number
  private observedSpec = ''
  private observedTime = 0
  private observedHolder = ''
  private observedTransitions = 0
  private lastRenew = 0
  private leading = false
  private stopped = true
  private timer: TimerHandle | undefined
  private busy: Promise<void> = Promise.resolve()

  constructor(private readonly opts: LeaderElectorOptions) {
    this.identity = opts.identity ?? defaultIdentity()
    this.timing = { ...DEFAULT_LEADER_ELECTION, ...opts.timing }
    validateTiming(this.timing)
    this.clock = opts.clock ?? realClock
    this.log = opts.log ?? ((l) => console.log(l))
    this.random = opts.random ?? Math.random
  }

  get isLeader(): boolean {
    return this.leading
  }

  /** Who this replica last saw holding the lease ('' when nobody). */
  get leader(): string {
    return this.observedHolder
  }

  /** Start competing for the lease. */
  start(): void {
    if (!this.stopped) return
    this.stopped = false
    this.log(`leaderelection: attempting to acquire leader lease ${this.opts.namespace}/${this.opts.name} as ${this.identity}`)
    this.schedule(0)
  }

  /** Stop competing; a holder releases the lease (duration 1 s) so another takes over at once. */
  async stop(opts: { release?: boolean } = {}): Promise<void> {
    if (this.stopped) return
    this.stopped = true
    this.timer?.cancel()
    await this.busy
    if (this.leading) {
      this.leading = false
      if (opts.release !== false)
        await this.release().catch((e: unknown) => this.log(`leaderelection: could not release ${this.opts.namespace}/${this.opts.name}: ${String(e)}`))
      this.opts.onStoppedLeading()
    }
  }

  private schedule(ms: number): void {
    if (this.stopped) return
    this.timer = this.clock.after(ms, () => {
      this.busy = this.tick().catch((e: unknown) => this.log(`leaderelection: ${String(e)}`))
    })
  }

  private async tick(): Promise<void> {
    if (this.stopped) return
    const ok = await this.tryAcquireOrRenew().catch((e: unknown) => {
      this.log(`leaderelection: error retrieving or updating lease ${this.opts.namespace}/${this.opts.name}: ${e instanceof Error ? e.message : String(e)}`)
      return false
    })
    if (this.stopped) return
    const now = this.clock.now().getTime()
    if (!this.leading) {
      if (ok) {
        this.leading = true
        this.lastRenew = now
        this.log(`leaderelection: successfully acquired lease ${this.opts.namespace}/${this.opts.name}`)
        this.schedule(this.timing.retryPeriodMs)
        await this.opts.onStartedLeading()
        return
      }
      this.schedule(this.timing.retryPeriodMs * (1 + this.random() * JITTER))
      return
    }
    if (ok) {
      this.lastRenew = now
    } else if (now - this.lastRenew >= this.timing.renewDeadlineMs) {
      // As upstream: failing to renew within the deadline ends leadership.
      this.leading = false
      this.stopped = true
      this.log(`leaderelection: failed to renew lease ${this.opts.namespace}/${this.opts.name}: timed out; leaderelection lost`)
      this.opts.onStoppedLeading()
      return
    }
    this.schedule(this.timing.retryPeriodMs)
  }

  /** One round: create, take over an expired lease, or renew our own. True when we hold it after. */
  private async tryAcquireOrRenew(): Promise<boolean> {
    const { client, namespace, name } = this.opts
    const now = this.clock.now()
    const durationS = Math.ceil(this.timing.leaseDurationMs / 1000)
    const current = await client.get<LeaseObject>(RES.leases, namespace, name)
    if (!current) {
      const spec: LeaseSpec = {
        holderIdentity: this.identity,
        leaseDurationSeconds: durationS,
        acquireTime: microTime(now),
        renewTime: microTime(now),
        leaseTransitions: 0,
      }
      try {
        await client.create(
          RES.leases,
          namespace,
          { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name, namespace }, spec },
          { readAnswer: false },
        )
      } catch (e) {
        if (isAlreadyExists(e)) return false
        throw e
      }
      this.observe(spec, now.getTime())
      return true
    }
    const spec = current.spec ?? {}
    this.observe(spec, now.getTime())
    const holder = spec.holderIdentity ?? ''
    const mine = holder === this.identity
    const durationMs = (spec.leaseDurationSeconds ?? durationS) * 1000
    if (!mine && holder !== '' && this.observedTime + durationMs > now.getTime()) return false
    const next: LeaseSpec = mine
      ? { ...spec, leaseDurationSeconds: durationS, renewTime: microTime(now) }
      : {
          holderIdentity: this.identity,
          leaseDurationSeconds: durationS,
          acquireTime: microTime(now),
          renewTime: microTime(now),
          leaseTransitions: (spec.leaseTransitions ?? 0) + (holder !== '' || (spec.leaseTransitions ?? 0) > 0 ? 1 : 0),
        }
    try {
      await client.update<LeaseObject>(RES.leases, { ...current, spec: next }, { readAnswer: false })
    } catch (e) {
      if (isConflict(e)) return false
      throw e
    }
    this.observe(next, now.getTime())
    return true
  }

  private observe(spec: LeaseSpec, now: number): void {
    const text = JSON.stringify(spec)
    if (text === this.observedSpec) return
    this.observedSpec = text
    this.observedTime = now
    this.observedTransitions = spec.leaseTransitions ?? 0
    const holder = spec.holderIdentity ?? ''
    if (holder !== this.observedHolder) {
      this.observedHolder = holder
      if (holder) {
        if (holder !== this.identity) this.log(`leaderelection: new leader elected: ${holder}`)
        this.opts.onNewLeader?.(holder)
      }
    }
  }

  private async release(): Promise<void> {
    const { client, namespace, name } = this.opts
    const current = await client.get<LeaseObject>(RES.leases, namespace, name)
    if (!current || current.spec?.holderIdentity !== this.identity) return
    const now = microTime(this.clock.now())
    await client.update<LeaseObject>(
      RES.leases,
      {
        ...current,
        spec: { leaseDurationSeconds: 1, acquireTime: now, renewTime: now, leaseTransitions: this.observedTransitions },
      },
      { readAnswer: false },
    )
    this.log(`leaderelection: released lease ${namespace}/${name}`)
  }
}
