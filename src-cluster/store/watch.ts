// Watch delivery. Committed revisions are queued per watcher and delivered on a later turn of the
// event loop, so a write never waits for its watchers. A handler may return a promise to slow
// delivery down (back-pressure); a watcher whose queue passes the limit is ended with
// 'compacted' so its client re-lists, as the Kubernetes API server does with slow watchers.
import type { WatchEvent, Watcher } from './types'
import { StoreError } from './types'
import type { EventGroup } from './mvcc'

type OnEvents = (events: readonly WatchEvent[], revision: number) => void
type OnError = (err: StoreError) => void

export class WatchHub {
  private readonly streams = new Set<WatchStream>()

  constructor(
    private readonly queueLimit: number,
    private readonly compacted: () => number,
  ) {}

  get size(): number {
    return this.streams.size
  }

  /** Start a watcher that first replays `backlog` (already after its start revision). */
  add(prefix: string, after: number, backlog: readonly EventGroup[], onEvents: OnEvents, onError: OnError): Watcher {
    const s = new WatchStream(prefix, after, onEvents, onError, this.queueLimit, this.compacted, (x) => this.streams.delete(x))
    this.streams.add(s)
    for (const g of backlog) s.enqueue(g)
    return s
  }

  publish(group: EventGroup): void {
    for (const s of this.streams) s.enqueue(group)
  }

  /** End every watcher with `err` (store closing or failed). */
  endAll(err: StoreError): void {
    for (const s of [...this.streams]) s.end(err)
  }
}

/** A watcher that has already failed before it started (e.g. its revision is compacted). */
export function failedWatcher(err: StoreError, onError: OnError): Watcher {
  let cancelled = false
  queueMicrotask(() => {
    if (!cancelled) onError(err)
  })
  return {
    cancel() {
      cancelled = true
    },
  }
}

/** One watcher's ordered, back-pressured delivery queue (also used by the etcd backend, fed from its gRPC watch). */
export class WatchStream implements Watcher {
  private queue: EventGroup[] = []
  private queueHead = 0
  private queued = 0
  private scheduled = false
  private waiting = false
  private dead = false
  /** Newest revision offered to this watcher (queued, or skipped as not under its prefix). */
  private seen = 0
  /** Revision of the newest group handed to the handler. */
  private delivered = 0

  constructor(
    private readonly prefix: string,
    /** Revisions at or before this are not for this watcher (it may start in the future). */
    private readonly after: number,
    private readonly onEvents: OnEvents,
    private readonly onError: OnError,
    private readonly limit: number,
    private readonly compacted: () => number,
    private readonly detach: (s: WatchStream) => void,
  ) {}

  enqueue(group: EventGroup): void {
    if (this.dead || group.revision <= this.after) return
    this.seen = group.revision
    const p = this.prefix
    let events = group.events
    if (p !== '' && !events.every((e) => e.kv.key.startsWith(p))) {
      events = events.filter((e) => e.kv.key.startsWith(p))
      if (events.length === 0) return
    }
    this.queue.push(events === group.events ? group : { revision: group.revision, events })
    this.queued += events.length
    if (this.queued > this.limit) {
      this.end(
        new StoreError(
          'compacted',
          `watch on "${p}" fell ${this.queued} events behind (limit ${this.limit}) and was stopped; list again and watch from the list's revision`,
          this.compacted(),
        ),
      )
      return
    }
    this.schedule()
  }

  private schedule(): void {
    if (this.scheduled || this.waiting || this.dead) return
    this.scheduled = true
    setImmediate(() => this.flush())
  }

  private flush(): void {
    this.scheduled = false
    while (!this.dead && this.queueHead < this.queue.length) {
      const g = this.queue[this.queueHead]
      this.queueHead++
      this.queued -= g.events.length
      this.delivered = g.revision
      let result: unknown
      try {
        result = this.onEvents(g.events, g.revision)
      } catch (err) {
        this.handlerFailed(err)
        return
      }
      if (isThenable(result)) {
        this.waiting = true
        result.then(
          () => {
            this.waiting = false
            this.schedule()
          },
          (err: unknown) => this.handlerFailed(err),
        )
        break
      }
    }
    if (this.queueHead === this.queue.length) {
      this.queue = []
      this.queueHead = 0
    }
  }

  private handlerFailed(err: unknown): void {
    const msg = err instanceof Error ? err.message : String(err)
    this.end(new StoreError('closed', `watch on "${this.prefix}" stopped because its event handler failed: ${msg}`))
  }

  /** Stop and report `err` once. */
  end(err: StoreError): void {
    if (this.dead) return
    this.stop()
    queueMicrotask(() => this.onError(err))
  }

  private stop(): void {
    this.dead = true
    this.queue = []
    this.queueHead = 0
    this.queued = 0
    this.detach(this)
  }

  cancel(): void {
    if (!this.dead) this.stop()
  }

  progress(): number {
    const idle = this.queueHead >= this.queue.length && !this.waiting
    return Math.max(this.after, idle ? this.seen : this.delivered)
  }
}

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return typeof v === 'object' && v !== null && typeof (v as { then?: unknown }).then === 'function'
}
