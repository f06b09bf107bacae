// The API server's CustomResourceDefinition controller (upstream's naming, establishing and
// finalizer controllers in one): it keeps each CRD's status (NamesAccepted, Established,
// Terminating, acceptedNames, storedVersions) and registers its served versions in the
// resource registry, so discovery, routing, OpenAPI and Tables serve them at once. On delete
// it removes every object of the resource, then the finalizer. Started before the server
// answers, so a restarted API server serves the same resources.
import type { KubeObject } from '../../api/object'
import { resourcesForCrd } from '../../api/crd/resources'
import { CRD_FINALIZER, type CrdCondition, type CrdNames, type CrdObject } from '../../api/crd/types'
import { RESOURCES, setDynamicResources } from '../../api/resources'
import type { Watcher } from '../../store/types'
import { type ServerContext } from '../context'
import { decodeFor, decodeKv, resourcePrefix } from '../registry/objects'
import { RES } from '../../kit/resources'
import { rfc3339 } from '../../kit/time'

const owner = (name: string): string => `crd:${name}`

/** Names of `names` already used in the group by a built-in resource or another accepted CRD. */
function conflicts(crd: CrdObject, others: readonly CrdObject[]): CrdCondition | undefined {
  const { group, names } = crd.spec
  const taken = { plural: new Set<string>(), singular: new Set<string>(), short: new Set<string>(), kind: new Set<string>(), listKind: new Set<string>() }
  for (const r of RESOURCES) {
    if (r.group !== group) continue
    taken.plural.add(r.plural)
    taken.singular.add(r.singular)
    for (const s of r.shortNames ?? []) taken.short.add(s)
    taken.kind.add(r.kind)
    taken.listKind.add(`${r.kind}List`)
  }
  for (const o of others) {
    if (o.metadata?.name === crd.metadata?.name || o.spec?.group !== group) continue
    const a: CrdNames | undefined = o.status?.acceptedNames
    if (!a?.plural) continue
    taken.plural.add(a.plural)
    if (a.singular) taken.singular.add(a.singular)
    for (const s of a.shortNames ?? []) taken.short.add(s)
    taken.kind.add(a.kind)
    if (a.listKind) taken.listKind.add(a.listKind)
  }
  const bad = (reason: string, v: string): CrdCondition => ({
    type: 'NamesAccepted',
    status: 'False',
    reason,
    message: `${JSON.stringify(v)} is already in use`,
  })
  if (taken.plural.has(names.plural)) return bad('PluralConflict', names.plural)
  const singular = names.singular ?? names.kind.toLowerCase()
  if (taken.singular.has(singular)) return bad('SingularConflict', singular)
  for (const s of names.shortNames ?? []) if (taken.short.has(s)) return bad('ShortNamesConflict', s)
  if (taken.kind.has(names.kind)) return bad('KindConflict', names.kind)
  const listKind = names.listKind ?? `${names.kind}List`
  if (taken.listKind.has(listKind)) return bad('ListKindConflict', listKind)
  return undefined
}

function setCondition(list: CrdCondition[], c: CrdCondition, now: string): CrdCondition[] {
  const old = list.find((x) => x.type === c.type)
  const next: CrdCondition = { ...c, lastTransitionTime: old && old.status === c.status ? old.lastTransitionTime : now }
  return old ? list.map((x) => (x.type === c.type ? next : x)) : [...list, next]
}

export class CrdController {
  private watcher: Watcher | undefined
  private chain: Promise<void> = Promise.resolve()
  private readonly registered = new Set<string>()
  private closed = false

  private constructor(private readonly ctx: ServerContext) {}

  /** Reconcile every stored CRD (so their resources are served), then follow changes. */
  static async start(ctx: ServerContext): Promise<CrdController> {
    const c = new CrdController(ctx)
    await c.resync()
    return c
  }

  private async resync(): Promise<void> {
    const r = await this.ctx.store.range(resourcePrefix(RES.crds))
    const names = r.kvs.map((kv) => decodeFor(RES.crds, kv).metadata!.name!)
    for (const stale of [...this.registered]) if (!names.includes(stale)) this.unregister(stale)
    for (const n of names) await this.reconcile(n)
    this.watcher = this.ctx.store.watch(
      resourcePrefix(RES.crds),
      { afterRevision: r.revision },
      (events) => {
        for (const e of events) this.enqueue(e.kv.key.slice(resourcePrefix(RES.crds).length))
      },
      (err) => {
        if (this.closed || err.code === 'closed') return
        void this.resync().catch(() => undefined)
      },
    )
  }

  private enqueue(name: string): void {
    this.chain = this.chain
      .then(() => (this.closed ? undefined : this.reconcile(name)))
      .catch((e: unknown) => {
        console.error(`apiserver: CustomResourceDefinition ${name}: ${e instanceof Error ? e.message : String(e)}; retrying`)
        setTimeout(() => this.enqueue(name), 1000).unref()
      })
  }

  /** Reconcile every stored CRD now and wait for it (tests and callers that just wrote one). */
  async idle(): Promise<void> {
    const r = await this.ctx.store.range(resourcePrefix(RES.crds))
    for (const kv of r.kvs) this.enqueue(kv.key.slice(resourcePrefix(RES.crds).length))
    for (const n of [...this.registered]) if (!r.kvs.some((kv) => kv.key.endsWith(`/${n}`))) this.enqueue(n)
    await this.chain
  }

  private unregister(name: string): void {
    setDynamicResources(owner(name), [])
    this.registered.delete(name)
  }

  private register(crd: CrdObject, terminating: boolean): void {
    const name = crd.metadata!.name!
    setDynamicResources(owner(name), resourcesForCrd(crd, { terminating }))
    this.registered.add(name)
  }

  private async reconcile(name: string): Promise<void> {
    const cur = await this.ctx.objects.get(RES.crds, undefined, name)
    if (!cur) return this.unregister(name)
    const crd = cur.obj as CrdObject
    if (crd.metadata?.deletionTimestamp) return this.finalize(crd, cur.kv.modRevision)
    const all = (await this.ctx.objects.list(RES.crds, undefined)).items.map((s) => s.obj as CrdObject)
    const now = rfc3339(this.ctx.now())
    const status = structuredClone(crd.status ?? {})
    let conds = status.conditions ?? []
    const clash = conflicts(crd, all)
    if (clash) {
      conds = setCondition(conds, clash, now)
      if (!conds.some((c) => c.type === 'Established' && c.status === 'True')) {
        conds = setCondition(conds, { type: 'Established', status: 'False', reason: 'NotAccepted', message: 'not all names are accepted' }, now)
      }
    } else {
      const names = crd.spec.names
      status.acceptedNames = {
        plural: names.plural,
        singular: names.singular ?? names.kind.toLowerCase(),
        ...(names.shortNames?.length ? { shortNames: names.shortNames } : {}),
        kind: names.kind,
        listKind: names.listKind ?? `${names.kind}List`,
        ...(names.categories?.length ? { categories: names.categories } : {}),
      }
      conds = setCondition(conds, { type: 'NamesAccepted', status: 'True', reason: 'NoConflicts', message: 'no conflicts found' }, now)
      conds = setCondition(conds, { type: 'Established', status: 'True', reason: 'InitialNamesAccepted', message: 'the initial names have been accepted' }, now)
    }
    status.conditions = conds
    const storage = crd.spec.versions.find((v) => v.storage)?.name
    if (storage && !(status.storedVersions ?? []).includes(storage)) status.storedVersions = [...(status.storedVersions ?? []), storage]
    status.acceptedNames ??= { plural: '', kind: '' }
    if (JSON.stringify(status) !== JSON.stringify(crd.status ?? {})) {
      const next = { ...crd, status } as KubeObject
      const updated = await this.ctx.objects.update(RES.crds, next, cur.kv.modRevision)
      // Changed meanwhile: the watch brings the newer version.
      if (!updated) return
    }
    const established = conds.some((c) => c.type === 'Established' && c.status === 'True')
    if (established && status.acceptedNames.plural) this.register({ ...crd, status }, false)
    else this.unregister(name)
  }

  /** Deletion: stop creates, delete every object, then drop the finalizer. */
  private async finalize(crd: CrdObject, rev: number): Promise<void> {
    const name = crd.metadata!.name!
    if (!crd.metadata?.finalizers?.includes(CRD_FINALIZER)) {
      // Others' finalizers still hold it; its resources stay (terminating) until then.
      if (this.registered.has(name)) this.register(crd, true)
      return
    }
    const now = rfc3339(this.ctx.now())
    let conds = setCondition(
      crd.status?.conditions ?? [],
      { type: 'Terminating', status: 'True', reason: 'InstanceDeletionInProgress', message: 'CustomResource deletion is in progress' },
      now,
    )
    if (this.registered.has(name) || crd.status?.acceptedNames?.plural) this.register({ ...crd, status: { ...crd.status, conditions: conds } }, true)
    const plural = crd.status?.acceptedNames?.plural || crd.spec.names.plural
    const prefix = resourcePrefix({ group: crd.spec.group, plural })
    // Every object is deleted as a client's DELETE would: at once without finalizers, else marked
    // (deletionTimestamp) and left to its finalizers' owners; the CRD waits until none is left.
    for (;;) {
      const r = await this.ctx.store.range(prefix)
      if (!r.kvs.length) break
      let held = 0
      for (const kv of r.kvs) {
        const stored = decodeKv(kv)
        const meta = { ...(stored.metadata ?? {}) }
        const cas = [{ key: kv.key, target: 'modRevision' as const, equals: kv.modRevision }]
        if (!meta.finalizers?.length) {
          await this.ctx.store.txn(cas, [{ type: 'delete', key: kv.key }])
          continue
        }
        held++
        if (meta.deletionTimestamp) continue
        meta.deletionTimestamp = now
        meta.deletionGracePeriodSeconds = 0
        delete meta.resourceVersion
        await this.ctx.store.txn(cas, [{ type: 'put', key: kv.key, value: JSON.stringify({ ...stored, metadata: meta }) }])
      }
      if (held) {
        // Upstream's finalizer controller reports this and tries again.
        setTimeout(() => this.enqueue(name), 1000).unref()
        return
      }
    }
    conds = setCondition(conds, { type: 'Terminating', status: 'False', reason: 'InstanceDeletionCompleted', message: 'removed all instances' }, now)
    const finalizers = (crd.metadata.finalizers ?? []).filter((f) => f !== CRD_FINALIZER)
    const next = { ...crd, metadata: { ...crd.metadata, finalizers }, status: { ...crd.status, conditions: conds } } as KubeObject
    if (!finalizers.length) delete next.metadata!.finalizers
    const done = finalizers.length ? await this.ctx.objects.update(RES.crds, next, rev) : await this.ctx.objects.delete(RES.crds, next, rev)
    if (done && !finalizers.length) this.unregister(name)
  }

  close(): void {
    this.closed = true
    this.watcher?.cancel()
    for (const n of [...this.registered]) this.unregister(n)
  }
}
