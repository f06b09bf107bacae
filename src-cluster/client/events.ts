// Events a learner reads in `kubectl describe`: core/v1 Events about an object, written in the
// background. A repeat of the same (object, type, reason, message) from the same component bumps
// the existing Event's count and lastTimestamp instead of making a new one, as upstream does.
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
  firstTimestamp: string
}

export class EventRecorder {
  private readonly cache = new Map<string, CacheEntry>()
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
    const key = [meta.uid ?? '', obj.kind ?? '', namespace, meta.name ?? '', fieldPath ?? '', type, reason, message].join('\u0000')
    // The time of the call, not of the (later) write.
    const now = rfc3339(this.clock.now())
    const prev = this.chains.get(key) ?? Promise.resolve()
    const next = prev
      .then(() => this.write(key, now, obj, namespace, type, reason, message, fieldPath))
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
        await this.client.patch(RES.events, hit.namespace, hit.name, { count: hit.count + 1, lastTimestamp: now }, 'merge')
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
    await this.client.create(RES.events, namespace, ev)
    this.cache.set(key, { namespace, name, count: 1, firstTimestamp: now })
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
