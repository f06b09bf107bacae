// Which etcd member a call may go to: the `etcd3` package's per-member fault handling
// (`faultHandling.host`). Its default is a circuit breaker per member that refuses every call for
// 5 s after 3 failures in a row — with one member (each API server talks to its local etcd, as
// kubeadm's stacked members do), or every member just restarted, the API answered 503 "circuit
// breaker is open" for up to 5 s after etcd was back. Upstream's apiserver has no such blackout:
// gRPC sends each call to a member it can reach and reconnects with a back-off.
//
// Here a member that failed is only passed over while another member is not known to be failing,
// so a call always reaches some member: it succeeds as soon as one answers, and otherwise fails
// with etcd's own error (connection refused, no leader) rather than a breaker's. A member that
// keeps failing is passed over for longer each time (0.5 s doubling to 30 s), then one call tries
// it again; any answer from it ends the pass-over.
import { EventEmitter, type IDefaultPolicyContext, type IFailureEvent, type IPolicy, type ISuccessEvent } from 'cockatiel'

export interface EtcdMemberGateOptions {
  /** Whether an error means the member did not serve the call (the `etcd3` package's isRecoverableError). */
  readonly isMemberFailure: (err: Error) => boolean
  /** Pass-over after the first failure; doubles with each failure in a row. Default 500 ms. */
  readonly firstPassOverMs?: number
  /** The longest pass-over. Default 30 s (the longest watch back-off of the `etcd3` package). */
  readonly maxPassOverMs?: number
  readonly now?: () => number
}

/**
 * Thrown instead of calling a member that is passed over; the `etcd3` connection pool then asks
 * the next member. It reaches a caller only if every member was passed over at once (a race).
 */
export class EtcdMemberPassedOver extends Error {
  constructor(
    readonly endpoint: string,
    failures: number,
    lastError: string,
    forMs: number,
  ) {
    super(
      `etcd member ${endpoint} failed ${failures} call${failures === 1 ? '' : 's'} in a row (last: ${lastError}); ` +
        `not asked again for ${Math.max(0, Math.ceil(forMs))} ms while another member answers`,
    )
    this.name = 'EtcdMemberPassedOver'
  }
}

const NEVER_ABORTED = new AbortController().signal

/** The gates of one client's members: each knows whether the others answer. */
export class EtcdMemberGates {
  private readonly gates: EtcdMemberGate[] = []
  readonly now: () => number
  readonly first: number
  readonly max: number

  constructor(readonly opts: EtcdMemberGateOptions) {
    this.now = opts.now ?? Date.now
    this.first = opts.firstPassOverMs ?? 500
    this.max = opts.maxPassOverMs ?? 30_000
  }

  /** For `faultHandling.host`: the gate of one member (its client URL). */
  readonly forMember = (endpoint: string): EtcdMemberGate => {
    const g = new EtcdMemberGate(endpoint, this)
    this.gates.push(g)
    return g
  }

  /** Whether a member other than `gate`'s is not known to be failing. */
  anotherAnswering(gate: EtcdMemberGate, now: number): boolean {
    return this.gates.some((o) => o !== gate && !o.failing(now))
  }
}

export class EtcdMemberGate implements IPolicy<IDefaultPolicyContext> {
  declare readonly _altReturn: never
  private readonly successEvents = new EventEmitter<ISuccessEvent>()
  private readonly failureEvents = new EventEmitter<IFailureEvent>()
  readonly onSuccess = this.successEvents.addListener
  readonly onFailure = this.failureEvents.addListener
  /** Failures in a row; calls in flight when the member failed count once, not each. */
  private failures = 0
  private lastFailureAt = -Infinity
  private lastError = ''
  /** Until when the member is passed over (while another answers). */
  private retryAt = 0
  /** A call is trying the member again after its pass-over: the others still pass it over. */
  private trying = false

  constructor(
    readonly endpoint: string,
    private readonly group: EtcdMemberGates,
  ) {}

  failing(now: number): boolean {
    return this.failures > 0 && (now < this.retryAt || this.trying)
  }

  /** Failures in a row (0: the member answered last time). */
  get consecutiveFailures(): number {
    return this.failures
  }

  async execute<T>(fn: (context: IDefaultPolicyContext) => PromiseLike<T> | T, signal: AbortSignal = NEVER_ABORTED): Promise<T> {
    const startedAt = this.group.now()
    let trial = false
    if (this.failures > 0) {
      if (this.failing(startedAt) && this.group.anotherAnswering(this, startedAt))
        throw new EtcdMemberPassedOver(this.endpoint, this.failures, this.lastError, this.retryAt - startedAt)
      if (!this.trying) trial = this.trying = true
    }
    try {
      const value = await fn({ signal })
      this.answered()
      this.successEvents.emit({ duration: this.group.now() - startedAt })
      return value
    } catch (e) {
      const error = e instanceof Error ? e : new Error(String(e))
      const handled = this.group.opts.isMemberFailure(error)
      if (handled) this.failed(error, startedAt)
      else this.answered() // an answer (a refused request, a compacted revision): the member serves
      this.failureEvents.emit({ duration: this.group.now() - startedAt, handled, reason: { error } })
      throw e
    } finally {
      if (trial) this.trying = false
    }
  }

  private answered(): void {
    this.failures = 0
    this.retryAt = 0
  }

  private failed(err: Error, startedAt: number): void {
    this.lastError = err.message.split('\n')[0] ?? ''
    // Calls that were already under way when the member failed tell nothing new.
    if (this.failures > 0 && startedAt < this.lastFailureAt) return
    const now = this.group.now()
    this.failures++
    this.lastFailureAt = now
    this.retryAt = now + Math.min(this.group.max, this.group.first * 2 ** (this.failures - 1))
  }
}
