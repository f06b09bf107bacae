// Events a learner reads in `kubectl describe`: core/v1 Events about an object, written in the
// background, through upstream's EventCorrelator (client-go tools/record): a spam filter per
// (component, object, type, reason) — 25 at once, then one per 5 minutes; the rest are dropped —,
// aggregation — the 10th different message for the same (component, object, type, reason)
// within 10 minutes becomes one "(combined from similar events): …" Event that later ones update —
// and a repeat of the same (object, type, reason, message) bumps the existing Event's count and
// lastTimestamp instead of making a new one. So a ReplicaSet scaled to 1000 writes about 25 Events
// about itself, not 1000.
import type { KubeObject } from '../api/object'
import type { Clock } from '../util/clock'
import { isNotFound } from './errors'
import { apiVersionOfRef } from './resources'
import type { Client, ResourceRef } from './types'
import { RES } from '../kit/resources'
import { rfc3339 } from '../kit/time'

export type EventType = 'Normal' | 'Warning'

export interface EventRecorderOptions {
  /** Node or host name shown as source.host / reportingInstance. */
  readonly host?: string
  /** Where write failures go. Default console.warn. */
  readonly log?: (line: string) => void
  /** Distinct (object, reason, message) entries remembered for aggregation. Default 4096. */
  readonly cacheSize?: number
}

interface CacheEntry {
  namespace: string
  name: string
  count: number
}

/** upstream's defaults (events_cache.go). */
const AGGREGATE_MAX_EVENTS = 10
const AGGREGATE_INTERVAL_MS = 600_000
const SPAM_BURST = 25
const SPAM_REFILL_MS = 300_000
const COMBINED_PREFIX = '(combined from similar events): '
/** Nothing reads what an Event write answered. */
const UNREAD = { readAnswer: false } as const

interface Aggregate {
  /** The different messages seen, held as the one string until there is a second (most keys see one). */
  messages: string | Set<string>
  lastMs: number
}

interface Bucket {
  tokens: number
  atMs: number
}

/** Bounded map in insertion (LRU when re-set) order, as upstream's lru caches. */
function remember<V>(m: Map<string, V>, key: string, v: V, max: number): void {
  m.delete(key)
  m.set(key, v)
  if (m.size > max) m.delete(m.keys().next().value as string)
}

export class EventRecorder {
  private readonly cache = new Map<string, CacheEntry>()
  private readonly aggregates = new Map<string, Aggregate>()
  private readonly spam = new Map<string, Bucket>()
  /** Writes in flight per aggregation key, so a repeat waits for the first create. */
  private readonly chains = new Map<string, Promise<void>>()
  private seq = 0
  private readonly log: (line: string) => void
  private readonly cacheSize: number

  constructor(
    private readonly client: Client,
    readonly component: string,
    private readonly clock: Clock,
    private readonly opts: EventRecorderOptions = {},
  ) {
    this.log = opts.log ?? ((l) => console.warn(l))
    this.cacheSize = opts.cacheSize ?? 4096
  }

  /** Record an Event about obj. Never throws and never waits: failures are logged. */
  event(obj: KubeObject, type: EventType, reason: string, message: string, fieldPath?: string): void {
    const meta = obj.metadata ?? {}
    const namespace = meta.namespace || 'default'
    const nowMs = this.clock.now().getTime()
    // The same object, type and reason from this component (the recorder's component and host are fixed).
    const similar = [meta.uid ?? '', obj.kind ?? '', obj.apiVersion ?? '', namespace, meta.name ?? '', type, reason].join('\u0000')
    if (!this.allow(similar, nowMs)) return
    const combined = this.aggregate(similar, message, nowMs)
    const key = combined ? similar : [similar, fieldPath ?? '', message].join('\u0000')
    const text = combined ? COMBINED_PREFIX + message : message
    // The time of the call, not of the (later) write.
    const now = rfc3339(new Date(nowMs))
    const prev = this.chains.get(key) ?? Promise.resolve()
    const next = prev
      .then(() => this.write(key, now, obj, namespace, type, reason, text, fieldPath))
      .catch((e: unknown) =>
        this.log(
          `${this.component}: could not record event ${reason} for ${obj.kind ?? 'object'} ${namespace}/${meta.name ?? '?'}: ${(e as Error)?.message ?? String(e)}`,
        ),
      )
    this.chains.set(key, next)
    void next.then(() => {
      if (this.chains.get(key) === next) this.chains.delete(key)
    })
  }

  /** upstream's spam filter: a token bucket per similar-event key, full (25) at first, one more every 5 minutes. */
  private allow(key: string, nowMs: number): boolean {
    const b = this.spam.get(key) ?? { tokens: SPAM_BURST, atMs: nowMs }
    b.tokens = Math.min(SPAM_BURST, b.tokens + Math.max(0, nowMs - b.atMs) / SPAM_REFILL_MS)
    b.atMs = nowMs
    const ok = b.tokens >= 1
    if (ok) b.tokens -= 1
    remember(this.spam, key, b, this.cacheSize)
    return ok
  }

  /**
   * upstream's EventAggregator: whether this message is the 10th (or later) different one for
   * the same object, type and reason within 10 minutes, and so goes into the combined Event.
   */
  private aggregate(key: string, message: string, nowMs: number): boolean {
    let a = this.aggregates.get(key)
    if (!a || nowMs - a.lastMs > AGGREGATE_INTERVAL_MS) a = { messages: message, lastMs: nowMs }
    a.lastMs = nowMs
    if (typeof a.messages !== 'string') a.messages.add(message)
    else if (a.messages !== message) a.messages = new Set([a.messages, message])
    const seen = a.messages
    const combined = typeof seen !== 'string' && seen.size >= AGGREGATE_MAX_EVENTS
    // The set never grows past the maximum (upstream pops one).
    if (combined) seen.delete(seen.values().next().value as string)
    remember(this.aggregates, key, a, this.cacheSize)
    return combined
  }

  /** Resolves when every event recorded so far has been written (or failed). For tests and shutdown. */
  async flush(): Promise<void> {
    while (this.chains.size > 0) await Promise.all([...this.chains.values()])
  }

  private async write(
    key: string,
    now: string,
    obj: KubeObject,
    namespace: string,
    type: EventType,
    reason: string,
    message: string,
    fieldPath?: string,
  ): Promise<void> {
    const hit = this.cache.get(key)
    if (hit) {
      try {
        // A combined Event also takes the latest message, as upstream's patch carries it.
        const patch = message.startsWith(COMBINED_PREFIX) ? { count: hit.count + 1, lastTimestamp: now, message } : { count: hit.count + 1, lastTimestamp: now }
        await this.client.patch(RES.events, hit.namespace, hit.name, patch, 'merge', UNREAD)
        hit.count++
        // Refresh its place in the LRU order.
        this.cache.delete(key)
        this.cache.set(key, hit)
        return
      } catch (e) {
        if (!isNotFound(e)) throw e
        // The Event was deleted (TTL, namespace cleanup): start a new one.
        this.cache.delete(key)
      }
    }
    const meta = obj.metadata ?? {}
    const name = `${meta.name ?? 'object'}.${this.uniqueSuffix()}`
    const involvedObject: Record<string, unknown> = {
      kind: obj.kind,
      namespace: meta.namespace,
      name: meta.name,
      uid: meta.uid,
      apiVersion: obj.apiVersion,
      resourceVersion: meta.resourceVersion,
    }
    if (fieldPath) involvedObject.fieldPath = fieldPath
    const ev: KubeObject = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name, namespace },
      involvedObject,
      reason,
      message,
      source: { component: this.component, ...(this.opts.host ? { host: this.opts.host } : {}) },
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
      type,
      eventTime: null,
      reportingComponent: this.component,
      reportingInstance: this.opts.host ?? this.component,
    }
    await this.client.create(RES.events, namespace, ev, UNREAD)
    this.cache.set(key, { namespace, name, count: 1 })
    if (this.cache.size > this.cacheSize) this.cache.delete(this.cache.keys().next().value as string)
  }

  /** Upstream names Events NAME.<hex nanoseconds>; a sequence keeps them unique under a fake clock. */
  private uniqueSuffix(): string {
    const nanos = BigInt(this.clock.now().getTime()) * 1_000_000n + BigInt(this.seq++ % 1_000_000)
    return nanos.toString(16)
  }
}

/** An object reference for Events about something the caller only knows by resource and name. */
export function refFor(res: ResourceRef, namespace: string | undefined, name: string, uid?: string): KubeObject {
  return { apiVersion: apiVersionOfRef(res), kind: res.kind, metadata: { name, namespace, uid } }
}
