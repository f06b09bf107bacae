// The scheduling queue, as upstream's PriorityQueue: activeQ (highest priority first, then
// first-in first-out), backoffQ (pods waiting out 1 s doubling to 10 s after a failed attempt),
// and unschedulable pods parked until a cluster event could make them fit (or 5 minutes pass).
// Time comes from the Clock; nothing polls.
import type { Clock, TimerHandle } from '../util/clock'
import type { PodInfo } from './types'

export interface QueuedPod {
  info: PodInfo
  /** Scheduling attempts so far (drives the back-off). */
  attempts: number
  /** Enqueue order: FIFO among equal priorities. */
  seq: number
  /** Clock ms when the pod was last put in unschedulable. */
  unschedulableSince: number
  /** Clock ms of the last attempt (the back-off counts from here). */
  lastAttemptAt: number
  /** Filter plugins that rejected the pod last time; empty = any event may help. */
  unschedulablePlugins: ReadonlySet<string>
  /** Cluster events seen while the pod was being scheduled (so a failure does not miss them). */
  eventsInFlight: ClusterEvent[]
}

/** A cluster change, and which filter plugins' verdicts it can flip ('all' for node changes). */
export interface ClusterEvent {
  readonly name: string
  readonly plugins: ReadonlySet<string> | 'all'
}

export interface QueueOptions {
  readonly initialBackoffMs?: number
  readonly maxBackoffMs?: number
  /** Unschedulable pods are retried after this long even without an event (upstream: 5 min). */
  readonly maxInUnschedulableMs?: number
  /** How often to look for such pods (upstream: 30 s). */
  readonly unschedulableFlushIntervalMs?: number
}

interface HeapEntry {
  readonly qp: QueuedPod
  readonly priority: number
  readonly seq: number
}

function before(a: HeapEntry, b: HeapEntry): boolean {
  return a.priority !== b.priority ? a.priority > b.priority : a.seq < b.seq
}

/** Binary heap with lazy deletion: stale entries are skipped when they reach the top. */
class Heap {
  private readonly items: HeapEntry[] = []
  get size(): number {
    return this.items.length
  }
  push(e: HeapEntry): void {
    const a = this.items
    a.push(e)
    let i = a.length - 1
    while (i > 0) {
      const p = (i - 1) >> 1
      if (!before(a[i]!, a[p]!)) break
      ;[a[i], a[p]] = [a[p]!, a[i]!]
      i = p
    }
  }
  pop(): HeapEntry | undefined {
    const a = this.items
    if (a.length === 0) return undefined
    const top = a[0]!
    const last = a.pop()!
    if (a.length > 0) {
      a[0] = last
      let i = 0
      for (;;) {
        const l = 2 * i + 1
        const r = l + 1
        let m = i
        if (l < a.length && before(a[l]!, a[m]!)) m = l
        if (r < a.length && before(a[r]!, a[m]!)) m = r
        if (m === i) break
        ;[a[i], a[m]] = [a[m]!, a[i]!]
        i = m
      }
    }
    return top
  }
}

function relevant(event: ClusterEvent, rejectedBy: ReadonlySet<string>): boolean {
  if (event.plugins === 'all' || rejectedBy.size === 0) return true
  for (const p of rejectedBy) if (event.plugins.has(p)) return true
  return false
}

export class SchedulingQueue {
  private readonly heap = new Heap()
  private readonly active = new Map<string, HeapEntry>()
  private readonly backoff = new Map<string, { qp: QueuedPod; expiry: number }>()
  private readonly unschedulable = new Map<string, QueuedPod>()
  private readonly inFlight = new Map<string, QueuedPod>()
  private seq = 0
  private waiters: ((qp: QueuedPod | undefined) => void)[] = []
  private backoffTimer: { at: number; handle: TimerHandle } | undefined
  private flushTimer: TimerHandle | undefined
  private closed = false
  private readonly initialBackoffMs: number
  private readonly maxBackoffMs: number
  private readonly maxInUnschedulableMs: number
  private readonly flushIntervalMs: number

  constructor(
    private readonly clock: Clock,
    opts: QueueOptions = {},
  ) {
    this.initialBackoffMs = opts.initialBackoffMs ?? 1000
    this.maxBackoffMs = opts.maxBackoffMs ?? 10_000
    this.maxInUnschedulableMs = opts.maxInUnschedulableMs ?? 5 * 60_000
    this.flushIntervalMs = opts.unschedulableFlushIntervalMs ?? 30_000
  }

  /** A new pending pod. Ignored if the queue already holds it (then it is updated). */
  add(info: PodInfo): void {
    if (this.has(info.key)) return this.update(info)
    this.pushActive({ info, attempts: 0, seq: this.seq++, unschedulableSince: 0, lastAttemptAt: 0, unschedulablePlugins: new Set(), eventsInFlight: [] })
  }

  /** A pending pod changed: refresh it, and give a parked pod another try (its spec may fit now). */
  update(info: PodInfo): void {
    const a = this.active.get(info.key)
    if (a) {
      a.qp.info = info
      if (a.priority !== info.priority) this.pushActive(a.qp)
      return
    }
    const b = this.backoff.get(info.key)
    if (b) return void (b.qp.info = info)
    const f = this.inFlight.get(info.key)
    if (f) return void (f.info = info)
    const u = this.unschedulable.get(info.key)
    if (u) {
      u.info = info
      this.unschedulable.delete(info.key)
      this.requeue(u)
      return
    }
    this.add(info)
  }

  delete(key: string): void {
    this.active.delete(key)
    this.backoff.delete(key)
    this.unschedulable.delete(key)
    this.inFlight.delete(key)
  }

  has(key: string): boolean {
    return this.active.has(key) || this.backoff.has(key) || this.unschedulable.has(key) || this.inFlight.has(key)
  }

  /** The next pod to schedule, waiting until there is one; undefined once closed. */
  pop(): Promise<QueuedPod | undefined> {
    const qp = this.tryPop()
    if (qp || this.closed) return Promise.resolve(qp)
    return new Promise((resolve) => this.waiters.push(resolve))
  }

  private tryPop(): QueuedPod | undefined {
    for (;;) {
      const e = this.heap.pop()
      if (!e) return undefined
      if (this.active.get(e.qp.info.key) !== e) continue // deleted or re-pushed since
      this.active.delete(e.qp.info.key)
      const qp = e.qp
      qp.attempts++
      qp.lastAttemptAt = this.clock.now().getTime()
      qp.eventsInFlight = []
      this.inFlight.set(qp.info.key, qp)
      return qp
    }
  }

  /** The attempt is over (bound, failed, or the pod went away). */
  done(key: string): void {
    this.inFlight.delete(key)
  }

  /**
   * The pod fits nowhere. Park it until a cluster event — unless one already happened while it
   * was being scheduled, in which case it retries after its back-off so the event is not missed.
   */
  addUnschedulable(qp: QueuedPod, rejectedBy: ReadonlySet<string>): void {
    if (!this.inFlight.has(qp.info.key)) return // deleted meanwhile
    this.inFlight.delete(qp.info.key)
    qp.unschedulablePlugins = rejectedBy
    if (qp.eventsInFlight.some((e) => relevant(e, rejectedBy))) return this.pushBackoff(qp)
    qp.unschedulableSince = this.clock.now().getTime()
    this.unschedulable.set(qp.info.key, qp)
    this.armFlush()
  }

  /** The attempt failed for another reason (API error, binding conflict): retry after back-off. */
  addBackoff(qp: QueuedPod): void {
    if (!this.inFlight.has(qp.info.key)) return
    this.inFlight.delete(qp.info.key)
    this.pushBackoff(qp)
  }

  /** A pod whose binding failed after it left the queue: retry it after its back-off. */
  retryLater(qp: QueuedPod): void {
    if (this.closed || this.has(qp.info.key)) return
    this.pushBackoff(qp)
  }

  /**
   * Something changed that may let parked pods fit: move back (after their back-off) every pod
   * that a plugin this event concerns had rejected, as upstream's queueing hints do coarsely.
   */
  moveAllToActiveOrBackoff(event: ClusterEvent): void {
    for (const qp of this.inFlight.values()) {
      // Past a handful, remember only that "something" happened: any failure then retries.
      if (qp.eventsInFlight.length < 16) qp.eventsInFlight.push(event)
      else if (qp.eventsInFlight[0]!.plugins !== 'all') qp.eventsInFlight = [{ name: 'many', plugins: 'all' }]
    }
    for (const [key, qp] of this.unschedulable) {
      if (!relevant(event, qp.unschedulablePlugins)) continue
      this.unschedulable.delete(key)
      this.requeue(qp)
    }
  }

  close(): void {
    this.closed = true
    this.backoffTimer?.handle.cancel()
    this.flushTimer?.cancel()
    for (const w of this.waiters.splice(0)) w(undefined)
  }

  stats(): { active: number; backoff: number; unschedulable: number; inFlight: number } {
    return { active: this.active.size, backoff: this.backoff.size, unschedulable: this.unschedulable.size, inFlight: this.inFlight.size }
  }

  /** Upstream's per-pod back-off: initial × 2^(attempts-1), capped. */
  backoffMs(attempts: number): number {
    let d = this.initialBackoffMs
    for (let i = 1; i < attempts && d < this.maxBackoffMs; i++) d *= 2
    return Math.min(d, this.maxBackoffMs)
  }

  private requeue(qp: QueuedPod): void {
    const expiry = this.backoffExpiry(qp)
    if (expiry > this.clock.now().getTime()) this.pushBackoff(qp)
    else this.pushActive(qp)
  }

  private backoffExpiry(qp: QueuedPod): number {
    return qp.attempts === 0 ? 0 : qp.lastAttemptAt + this.backoffMs(qp.attempts)
  }

  private pushActive(qp: QueuedPod): void {
    const e: HeapEntry = { qp, priority: qp.info.priority, seq: qp.seq }
    this.active.set(qp.info.key, e)
    this.heap.push(e)
    const w = this.waiters.shift()
    if (w) {
      const next = this.tryPop()
      w(next)
    }
  }

  private pushBackoff(qp: QueuedPod): void {
    const expiry = this.backoffExpiry(qp)
    if (expiry <= this.clock.now().getTime()) return this.pushActive(qp)
    this.backoff.set(qp.info.key, { qp, expiry })
    this.armBackoff(expiry)
  }

  private armBackoff(expiry: number): void {
    if (this.closed) return
    if (this.backoffTimer && this.backoffTimer.at <= expiry) return
    this.backoffTimer?.handle.cancel()
    const now = this.clock.now().getTime()
    this.backoffTimer = { at: expiry, handle: this.clock.after(expiry - now, () => this.flushBackoff()) }
  }

  private flushBackoff(): void {
    this.backoffTimer = undefined
    const now = this.clock.now().getTime()
    let next = Infinity
    for (const [key, b] of this.backoff) {
      if (b.expiry <= now) {
        this.backoff.delete(key)
        this.pushActive(b.qp)
      } else next = Math.min(next, b.expiry)
    }
    if (next !== Infinity) this.armBackoff(next)
  }

  private armFlush(): void {
    if (this.flushTimer || this.closed) return
    this.flushTimer = this.clock.after(this.flushIntervalMs, () => {
      this.flushTimer = undefined
      const now = this.clock.now().getTime()
      for (const [key, qp] of this.unschedulable) {
        if (now - qp.unschedulableSince >= this.maxInUnschedulableMs) {
          this.unschedulable.delete(key)
          this.requeue(qp)
        }
      }
      if (this.unschedulable.size > 0) this.armFlush()
    })
  }
}
