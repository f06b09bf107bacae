// The ResourceQuota controller (upstream's resourcequota controller + quota monitor): keeps
// status.hard equal to spec.hard and status.used equal to what the namespace's objects use.
// Admission charges a quota when it admits a write; this controller recounts from the informer
// caches when a quota appears or its spec changes, when usage is released (an object deleted, a
// pod finished or terminating, a Service or claim changed) and on a periodic full resync, which
// also returns charges of writes that failed after admission. Informers for counted resources are
// started when a quota first names them (count/<resource>.<group>).
import type { KubeObject } from '../../api/object'
import { allResources, type ResourceInfo } from '../../api/resources'
import { evaluatorFor, quotaMatches, resourcesForName, type Evaluator, type QuotaObject } from '../../api/quota/evaluators'
import { add, equalLists, fromMap, mask, toMap, type ResourceList } from '../../api/quota/resource-list'
import { ZERO_QUANTITY } from '../../api/quantity'
import type { Informer } from '../../client'
import type { TimerHandle } from '../../util/clock'
import { startQueue, type Controller, type ControllerContext, type ControllerQueue } from '../framework'
import { RES } from '../../kit/resources'
import { keyOf } from '../../kit/keys'

interface Counted {
  readonly ev: Evaluator
  readonly inf: Informer<KubeObject>
}

/** The served resource for (group, plural): its first listed version. */
function servedResource(group: string, plural: string): ResourceInfo | undefined {
  return allResources().find((r) => r.group === group && r.plural === plural && r.namespaced && !r.virtual && !r.dynamic)
}

export class ResourceQuotaController implements Controller {
  readonly name = 'resourcequota'
  private q?: ControllerQueue
  private ctx?: ControllerContext
  private quotas?: Informer<QuotaObject>
  private readonly counted = new Map<string, Promise<Counted | undefined>>()
  private resync?: TimerHandle
  private stopped = false

  async start(ctx: ControllerContext): Promise<void> {
    this.ctx = ctx
    this.stopped = false
    const quotas = (this.quotas = ctx.informers.for<QuotaObject>(RES.resourcequotas))
    const q = (this.q = startQueue(ctx, this.name, ctx.options.concurrentSyncs, (key) => this.reconcile(key)))
    quotas.addHandler({
      add: (o) => q.queue.add(keyOf(o)),
      // Status writes come from here and from admission: only a spec change (or a status that
      // no longer mirrors the spec) needs a recount.
      update: (o, n) => {
        if (JSON.stringify(o.spec) !== JSON.stringify(n.spec) || !equalLists(fromMap(n.spec?.hard), fromMap(n.status?.hard))) q.queue.add(keyOf(n))
      },
    })
    await quotas.start()
    this.scheduleResync()
  }

  stop(): void {
    this.stopped = true
    this.resync?.cancel()
    this.q?.stop()
  }

  private scheduleResync(): void {
    const ctx = this.ctx!
    this.resync = ctx.clock.after(ctx.options.resourceQuotaSyncPeriodSeconds * 1000, () => {
      if (this.stopped) return
      for (const quota of this.quotas?.list() ?? []) this.q?.queue.add(keyOf(quota))
      this.scheduleResync()
    })
  }

  /** Recount every quota of a namespace (usage there was released). */
  private replenish(namespace: string | undefined): void {
    if (!namespace) return
    for (const quota of this.quotas?.byIndex('namespace', namespace) ?? []) this.q?.queue.add(keyOf(quota))
  }

  /** The informer and evaluator for a counted resource, started on first use. */
  private countedFor(group: string, plural: string): Promise<Counted | undefined> {
    const key = `${group}/${plural}`
    let p = this.counted.get(key)
    if (!p) {
      p = (async () => {
        const res = servedResource(group, plural)
        if (!res) return undefined
        const ev = evaluatorFor(group, plural)
        const inf = this.ctx!.informers.for<KubeObject>(res)
        inf.addHandler({
          delete: (o) => this.replenish(o.metadata?.namespace),
          update: (o, n) => {
            if (releases(ev, o, n, this.ctx!.clock.now())) this.replenish(n.metadata?.namespace)
          },
        })
        await inf.start()
        return { ev, inf }
      })()
      this.counted.set(key, p)
    }
    return p
  }

  private async reconcile(key: string): Promise<void> {
    const quota = this.quotas?.get(key)
    if (!quota || quota.metadata?.deletionTimestamp) return
    const ns = quota.metadata?.namespace ?? ''
    const hard = fromMap(quota.spec?.hard)
    const hardNames = [...hard.keys()]
    const resources = new Map<string, { group: string; plural: string }>()
    for (const n of hardNames) {
      const r = resourcesForName(n)
      if (r) resources.set(`${r.group}/${r.plural}`, r)
    }
    // Keep what was observed for names no evaluator counts; recount the rest.
    let used: ResourceList = mask(fromMap(quota.status?.used), hardNames)
    for (const r of resources.values()) {
      const counted = await this.countedFor(r.group, r.plural)
      if (!counted) continue
      const matching = counted.ev.matchingResources(hardNames)
      let sum: ResourceList = new Map(matching.map((m) => [m, ZERO_QUANTITY]))
      const now = this.ctx!.clock.now()
      for (const o of counted.inf.byIndex('namespace', ns)) {
        if (!quotaMatches(counted.ev, quota, hardNames, o)) continue
        sum = add(sum, mask(counted.ev.usage(o, now), matching))
      }
      for (const [k, v] of sum) used.set(k, v)
    }
    used = mask(used, hardNames)
    const status = { hard: toMap(hard), used: toMap(used) }
    if (equalLists(fromMap(quota.status?.hard), hard) && equalLists(fromMap(quota.status?.used), used)) return
    await this.ctx!.client.update<QuotaObject>(RES.resourcequotas, { ...quota, status }, { subresource: 'status' })
  }
}

/** Whether an update gives usage back (upstream's replenishment): a pod finishing or being deleted, a Service or claim changing. */
function releases(ev: Evaluator, o: KubeObject, n: KubeObject, now: Date): boolean {
  if (ev.plural === 'pods' && !ev.group) {
    const was = ev.usage(o, now)
    const is = ev.usage(n, now)
    return was.has('pods') && !is.has('pods')
  }
  return ev.chargesUpdates && JSON.stringify(o.spec) !== JSON.stringify(n.spec)
}
