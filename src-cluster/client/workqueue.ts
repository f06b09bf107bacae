// client-go's work queue: a key is queued at most once (dirty set), handed to one worker at a
// time (processing set), and if it is added again while being processed it is queued once more
// when that worker calls done(). Delays and per-key exponential back-off run on the Clock.
import { realClock, type Clock, type TimerHandle } from '../util/clock'
import type { WorkQueueShape } from './types'

export interface WorkQueueOptions {
  readonly clock?: Clock
  /** First retry delay of addRateLimited; doubles per failure. Default 5 ms (client-go). */
  readonly baseDelayMs?: number
  /** Cap of the back-off. Default 1000 s (client-go). */
  readonly maxDelayMs?: number
}

export class WorkQueue<K = string> implements WorkQueueShape<K> {
  private readonly queue: K[] = []
  private head = 0
  private readonly dirty = new Set<K>()
  private readonly processing = new Set<K>()
  private readonly waiters: ((k: K | undefined) => void)[] = []
  private readonly waiting = new Map<K, { at: number; timer: TimerHandle }>()
  private readonly failures = new Map<K, number>()
  private shutting = false
  private readonly clock: Clock
  private readonly baseDelayMs: number
  private readonly maxDelayMs: number

  constructor(opts: WorkQueueOptions = {}) {
    this.clock = opts.clock ?? realClock
    this.baseDelayMs = opts.baseDelayMs ?? 5
    this.maxDelayMs = opts.maxDelayMs ?? 1_000_000
  }

  add(key: K): void {
    if (this.shutting || this.dirty.has(key)) return
    this.dirty.add(key)
    if (this.processing.has(key)) return // queued again by done()
    this.push(key)
  }

  addAfter(key: K, ms: number): void {
    if (this.shutting) return
    if (ms <= 0) return this.add(key)
    const at = this.clock.now().getTime() + ms
    const prev = this.waiting.get(key)
    // One pending timer per key: the earliest wins, as in client-go's delaying queue.
    if (prev && prev.at <= at) return
    prev?.timer.cancel()
    const timer = this.clock.after(ms, () => {
      if (this.waiting.get(key)?.timer === timer) this.waiting.delete(key)
      this.add(key)
    })
    this.waiting.set(key, { at, timer })
  }

  addRateLimited(key: K): void {
    const n = this.failures.get(key) ?? 0
    this.failures.set(key, n + 1)
    this.addAfter(key, this.backoffMs(n))
  }

  /** The delay the n-th consecutive failure (0-based) waits. */
  backoffMs(failures: number): number {
    return Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** Math.min(failures, 60))
  }

  forget(key: K): void {
    this.failures.delete(key)
  }

  /** Consecutive failures recorded for a key since its last forget(). */
  numRequeues(key: K): number {
    return this.failures.get(key) ?? 0
  }

  get(): Promise<K | undefined> {
    if (this.shutting) return Promise.resolve(undefined)
    if (this.len() > 0) return Promise.resolve(this.take())
    return new Promise((resolve) => this.waiters.push(resolve))
  }

  done(key: K): void {
    this.processing.delete(key)
    if (this.dirty.has(key) && !this.shutting) this.push(key)
  }

  len(): number {
    return this.queue.length - this.head
  }

  /** Stop handing out keys: waiting and later get() calls answer undefined; queued keys are dropped. */
  shutDown(): void {
    this.shutting = true
    for (const w of this.waiting.values()) w.timer.cancel()
    this.waiting.clear()
    for (const w of this.waiters.splice(0)) w(undefined)
  }

  isShuttingDown(): boolean {
    return this.shutting
  }

  private push(key: K): void {
    const w = this.waiters.shift()
    if (w) {
      // Hand it straight to a waiting worker.
      this.dirty.delete(key)
      this.processing.add(key)
      w(key)
      return
    }
    this.queue.push(key)
  }

  private take(): K | undefined {
    if (this.len() === 0) return undefined
    const key = this.queue[this.head++] as K
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue.splice(0, this.head)
      this.head = 0
    }
    this.dirty.delete(key)
    this.processing.add(key)
    return key
  }
}
