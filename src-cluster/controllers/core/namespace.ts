// Namespace controller: a namespace marked for deletion has every namespaced object in it
// deleted; once nothing is left, the `kubernetes` finalizer is removed through
// PUT /api/v1/namespaces/NAME/finalize and the API server lets the namespace go. Progress is
// reported in the NamespaceDeletion* / NamespaceContent* / NamespaceFinalizers* conditions.
import type { NamespaceCondition } from 'kubernetes-types/core/v1'
import type { KubeObject } from '../../api/object'
import { RESOURCES, type ResourceInfo } from '../../api/resources'
import { discoverExtraResources, type Informer, type ResourceRef } from '../../client'
import { startQueue, type Controller, type ControllerContext, type ControllerQueue } from '../framework'
import { isConflict, isNotFound, sameJson } from './util'
import type { NamespaceObj } from '../../kit/objects'
import { RES } from '../../kit/resources'
import { rfc3339 } from '../../kit/time'

/** Namespaced kinds the API server stores and can delete: what a namespace holds. */
export function namespacedResources(): ResourceInfo[] {
  return RESOURCES.filter((r) => r.namespaced && !r.virtual && (r.verbs ?? ['delete', 'list']).includes('delete') && (r.verbs ?? ['list']).includes('list'))
}

interface Remaining {
  /** resource plural (with group) → count */
  counts: Map<string, number>
  /** finalizer → count of objects still carrying it */
  finalizers: Map<string, number>
}

const fmt = (m: Map<string, number>) =>
  [...m]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, n]) => `${k} has ${n} resource instances`)
    .join(', ')
const fmtFin = (m: Map<string, number>) =>
  [...m]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, n]) => `${k} in ${n} resource instances`)
    .join(', ')

/** The conditions upstream's namespace controller reports while a deletion runs. */
export function deletionConditions(rem: Remaining, contentError: string | undefined, now: string, old: readonly NamespaceCondition[]): NamespaceCondition[] {
  const c = (type: string, status: 'True' | 'False', reason: string, message: string): NamespaceCondition => {
    const prev = old.find((x) => x.type === type)
    const lastTransitionTime = prev && prev.status === status ? prev.lastTransitionTime : now
    return { type, status, lastTransitionTime, reason, message }
  }
  return [
    c('NamespaceDeletionDiscoveryFailure', 'False', 'ResourcesDiscovered', 'All resources successfully discovered'),
    c('NamespaceDeletionGroupVersionParsingFailure', 'False', 'ParsedGroupVersions', 'All legacy kube types successfully parsed'),
    contentError
      ? c('NamespaceDeletionContentFailure', 'True', 'ContentDeletionFailed', `Failed to delete all resource types, 1 remaining: ${contentError}`)
      : c('NamespaceDeletionContentFailure', 'False', 'ContentDeleted', 'All content successfully deleted, may be waiting on finalization'),
    rem.counts.size
      ? c('NamespaceContentRemaining', 'True', 'SomeResourcesRemain', `Some resources are remaining: ${fmt(rem.counts)}`)
      : c('NamespaceContentRemaining', 'False', 'ContentRemoved', 'All content successfully removed'),
    rem.finalizers.size
      ? c('NamespaceFinalizersRemaining', 'True', 'SomeFinalizersRemain', `Some content in the namespace has finalizers remaining: ${fmtFin(rem.finalizers)}`)
      : c('NamespaceFinalizersRemaining', 'False', 'ContentHasNoFinalizers', 'All content-preserving finalizers finished'),
  ]
}

export class NamespaceController implements Controller {
  readonly name = 'namespace-controller'
  private q?: ControllerQueue

  async start(ctx: ControllerContext): Promise<void> {
    const namespaces = ctx.informers.for<NamespaceObj>(RES.namespaces)
    const q = (this.q = startQueue(ctx, this.name, 2, (key) => this.reconcile(ctx, key, namespaces)))
    const enqueue = (ns: NamespaceObj) => {
      if (ns.metadata?.deletionTimestamp) q.queue.add(String(ns.metadata.name))
    }
    namespaces.addHandler({ add: enqueue, update: (_o, n) => enqueue(n) })
    await namespaces.start()
    for (const ns of namespaces.list()) enqueue(ns)
  }

  stop(): void {
    this.q?.stop()
  }

  private async reconcile(ctx: ControllerContext, name: string, namespaces: Informer<NamespaceObj>): Promise<void | { requeueAfterMs: number }> {
    const ns = namespaces.get(name)
    if (!ns?.metadata?.deletionTimestamp) return
    if (!(ns.spec?.finalizers ?? []).includes('kubernetes')) return
    const rem: Remaining = { counts: new Map(), finalizers: new Map() }
    let contentError: string | undefined
    let maxGrace = 0
    // Custom resources come from discovery, as upstream's namespace controller finds every kind.
    let custom: ResourceRef[] = []
    try {
      const seen = new Set<string>()
      custom = (await discoverExtraResources(ctx.client)).filter((r) => {
        const key = `${r.group}/${r.plural}`
        if (!r.namespaced || !r.verbs.includes('list') || !r.verbs.includes('delete') || seen.has(key)) return false
        seen.add(key)
        return true
      })
    } catch (e) {
      contentError = `discovery: ${(e as Error).message}`
    }
    for (const res of [...namespacedResources(), ...custom]) {
      let items: KubeObject[]
      try {
        items = (await ctx.client.list(res, { namespace: name })).items
      } catch (e) {
        contentError = `${res.plural}${res.group ? `.${res.group}` : ''}: ${(e as Error).message}`
        continue
      }
      if (items.length === 0) continue
      rem.counts.set(`${res.plural}${res.group ? `.${res.group}` : ''}.`, items.length)
      for (const obj of items) {
        for (const f of obj.metadata?.finalizers ?? []) rem.finalizers.set(f, (rem.finalizers.get(f) ?? 0) + 1)
        if (obj.metadata?.deletionTimestamp) {
          maxGrace = Math.max(maxGrace, obj.metadata.deletionGracePeriodSeconds ?? 0)
          continue
        }
        try {
          await ctx.client.delete(res, name, String(obj.metadata?.name), { preconditions: { uid: obj.metadata?.uid } })
        } catch (e) {
          if (!isNotFound(e) && !isConflict(e)) contentError = `${res.plural}: ${(e as Error).message}`
        }
      }
    }
    await this.writeConditions(ctx, ns, deletionConditions(rem, contentError, rfc3339(ctx.clock.now()), ns.status?.conditions ?? []))
    if (rem.counts.size > 0 || contentError) {
      // Content is still going away (graceful pods, finalizers): look again shortly, as upstream
      // does with its estimate; a second pass then finds what is left.
      return { requeueAfterMs: Math.min(Math.max(maxGrace * 500, 500), 5000) }
    }
    const fresh = await ctx.client.get<NamespaceObj>(RES.namespaces, undefined, name)
    if (!fresh || fresh.metadata?.uid !== ns.metadata.uid) return
    const finalizers = (fresh.spec?.finalizers ?? []).filter((f) => f !== 'kubernetes')
    await ctx.client.update(RES.namespaces, { ...fresh, spec: { ...fresh.spec, finalizers } }, { subresource: 'finalize' })
    ctx.log(`namespace-controller: namespace ${name} is empty; removed its kubernetes finalizer`)
  }

  private async writeConditions(ctx: ControllerContext, ns: NamespaceObj, conditions: NamespaceCondition[]): Promise<void> {
    if (sameJson(ns.status?.conditions ?? [], conditions)) return
    try {
      await ctx.client.update(RES.namespaces, { ...ns, status: { ...ns.status, phase: 'Terminating', conditions } }, { subresource: 'status' })
    } catch (e) {
      if (!isConflict(e) && !isNotFound(e)) throw e
    }
  }
}
