// Garbage collector: a graph of objects by uid built from ownerReferences, fed by informers on
// every resource that commonly has owners or is an owner. It
//  - deletes dependents whose owners are all gone (background cascading),
//  - for an owner with the `foregroundDeletion` finalizer, deletes its dependents first and
//    removes the finalizer once no dependent with blockOwnerDeletion=true remains,
//  - for an owner with the `orphan` finalizer, removes the ownerReferences to it from its
//    dependents, then removes the finalizer.
// Absence of an owner not in the graph is confirmed with a live GET (the uid must match), so a
// slow informer never causes a wrong deletion. Custom resources join the graph as upstream's
// monitors do: every CRD change re-reads aggregated discovery and starts an informer for each
// new custom resource (one version per group/resource), stopping those no longer served.
import type { KubeObject } from '../../api/object'
import { findByKind, type ResourceInfo } from '../../api/resources'
import { discoverExtraResources, Informer, type ResourceRef } from '../../client'
import { startQueue, type Controller, type ControllerContext, type ControllerQueue } from '../framework'
import { isConflict, isNotFound, removeFinalizer } from './util'
import { RES } from '../../kit/resources'

/** What the garbage collector watches: owners and dependents of everyday workloads. */
export const GC_RESOURCES: readonly ResourceInfo[] = [
  RES.pods,
  RES.services,
  RES.pvcs,
  RES.configmaps,
  RES.secrets,
  RES.serviceaccounts,
  RES.nodes,
  RES.replicationcontrollers,
  RES.podtemplates,
  RES.replicasets,
  RES.deployments,
  RES.statefulsets,
  RES.daemonsets,
  RES.controllerrevisions,
  RES.jobs,
  RES.cronjobs,
  RES.slices,
  RES.leases,
  RES.hpas,
]

export interface OwnerRef {
  apiVersion: string
  kind: string
  name: string
  uid: string
  controller?: boolean
  blockOwnerDeletion?: boolean
}

interface GraphNode {
  res: ResourceRef
  namespace?: string
  name: string
  uid: string
  owners: OwnerRef[]
  deleting: boolean
  finalizers: string[]
}

/** The ownership graph. Pure bookkeeping (unit-tested); the controller acts on it. */
export class OwnerGraph {
  readonly nodes = new Map<string, GraphNode>()
  /** Dependents of uids not (yet) in the graph: owner uid → dependent uids. */
  private readonly byOwner = new Map<string, Set<string>>()

  upsert(res: ResourceRef, obj: KubeObject): { node: GraphNode; removedOwners: string[] } {
    const m = obj.metadata!
    const uid = String(m.uid)
    const owners = ((m.ownerReferences ?? []) as unknown as OwnerRef[]).filter((o) => o && typeof o.uid === 'string')
    const prev = this.nodes.get(uid)
    const node: GraphNode = {
      res,
      namespace: m.namespace,
      name: String(m.name),
      uid,
      owners,
      deleting: !!m.deletionTimestamp,
      finalizers: [...(m.finalizers ?? [])],
    }
    this.nodes.set(uid, node)
    const removedOwners = (prev?.owners ?? []).filter((o) => !owners.some((n) => n.uid === o.uid)).map((o) => o.uid)
    for (const o of removedOwners) this.byOwner.get(o)?.delete(uid)
    for (const o of owners) {
      let set = this.byOwner.get(o.uid)
      if (!set) this.byOwner.set(o.uid, (set = new Set()))
      set.add(uid)
    }
    return { node, removedOwners }
  }

  remove(uid: string): GraphNode | undefined {
    const node = this.nodes.get(uid)
    if (!node) return undefined
    this.nodes.delete(uid)
    for (const o of node.owners) {
      const set = this.byOwner.get(o.uid)
      set?.delete(uid)
      if (set?.size === 0) this.byOwner.delete(o.uid)
    }
    return node
  }

  dependentsOf(uid: string): GraphNode[] {
    return [...(this.byOwner.get(uid) ?? [])].map((d) => this.nodes.get(d)).filter((n): n is GraphNode => !!n)
  }

  /** Dependents that hold up a foreground deletion of `uid`. */
  blockingDependents(uid: string): GraphNode[] {
    return this.dependentsOf(uid).filter((d) => d.owners.some((o) => o.uid === uid && o.blockOwnerDeletion === true))
  }
}

type OwnerState = 'solid' | 'dangling' | 'waiting'

export class GarbageCollector implements Controller {
  readonly name = 'garbage-collector-controller'
  readonly graph = new OwnerGraph()
  private q?: ControllerQueue
  /** uids confirmed gone: a uid never comes back, so this cache is always right. */
  private readonly absent = new Set<string>()
  /** Informers of custom resources, by `group/plural` (ours alone: they stop with their CRD). */
  private readonly custom = new Map<string, { res: ResourceRef; inf: Informer<KubeObject> }>()
  private discovering: Promise<void> = Promise.resolve()
  private rediscover = false
  private stopped = false
  private crds?: Informer<KubeObject>
  private retry?: ReturnType<typeof setTimeout>

  async start(ctx: ControllerContext): Promise<void> {
    this.q = startQueue(ctx, this.name, 4, (key) => this.reconcile(ctx, key))
    const informers = GC_RESOURCES.map((res) => ({ res, inf: ctx.informers.for<KubeObject>(res) }))
    for (const { res, inf } of informers) this.follow(res, inf)
    await Promise.all(informers.map(({ inf }) => inf.start()))
    const crds = (this.crds = ctx.informers.for<KubeObject>(RES.crds))
    crds.addHandler({ add: () => this.syncCustom(ctx), update: () => this.syncCustom(ctx), delete: () => this.syncCustom(ctx) })
    await crds.start()
    this.syncCustom(ctx)
    await this.discovering
  }

  /** Re-read discovery (serialised; a change meanwhile runs it once more). */
  private syncCustom(ctx: ControllerContext): void {
    if (this.rediscover) return
    this.rediscover = true
    this.discovering = this.discovering.then(async () => {
      this.rediscover = false
      if (this.stopped) return
      try {
        await this.monitorCustom(ctx)
      } catch (e) {
        ctx.log(`garbage-collector: discovery: ${e instanceof Error ? e.message : String(e)}`)
      }
    })
  }

  private async monitorCustom(ctx: ControllerContext): Promise<void> {
    const found = new Map<string, ResourceRef>()
    for (const r of await discoverExtraResources(ctx.client)) {
      const key = `${r.group}/${r.plural}`
      if (found.has(key) || !['list', 'watch', 'delete'].every((v) => r.verbs.includes(v))) continue
      found.set(key, { group: r.group, version: r.version, plural: r.plural, namespaced: r.namespaced, kind: r.kind })
    }
    for (const [key, m] of this.custom) {
      const now = found.get(key)
      if (now && now.version === m.res.version) continue
      m.inf.stop()
      this.custom.delete(key)
    }
    const started: Promise<void>[] = []
    for (const [key, res] of found) {
      if (this.custom.has(key)) continue
      const inf = new Informer<KubeObject>(ctx.client, res, { log: ctx.log, stripManagedFields: true })
      this.follow(res, inf)
      this.custom.set(key, { res, inf })
      started.push(inf.start())
    }
    await Promise.all(started)
    // An Established CRD whose resource discovery does not list yet: look again shortly.
    const missing = (this.crds?.list() ?? []).some((c) => {
      const crd = c as KubeObject & {
        spec?: { group?: string }
        status?: { acceptedNames?: { plural?: string }; conditions?: { type: string; status: string }[] }
      }
      const established = crd.status?.conditions?.some((x) => x.type === 'Established' && x.status === 'True')
      return established && !crd.metadata?.deletionTimestamp && !found.has(`${crd.spec?.group}/${crd.status?.acceptedNames?.plural}`)
    })
    if (missing && !this.stopped && !this.retry) {
      this.retry = setTimeout(() => {
        this.retry = undefined
        this.syncCustom(ctx)
      }, 500)
    }
  }

  /** The resource an owner reference names: built in, or a custom resource being followed. */
  private resourceFor(apiVersion: string, kind: string): ResourceRef | undefined {
    const builtIn = findByKind(apiVersion, kind)
    if (builtIn) return builtIn
    const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion]
    for (const { res } of this.custom.values()) if (res.group === group && res.kind === kind) return { ...res, version: version! }
    return undefined
  }

  private follow(res: ResourceRef, inf: Informer<KubeObject>): void {
    const q = this.q!
    {
      const observe = (obj: KubeObject) => {
        const { node, removedOwners } = this.graph.upsert(res, obj)
        // Owners in foreground deletion may be waiting for this dependent to change.
        for (const o of removedOwners) q.queue.add(`owner/${o}`)
        if (node.deleting) q.queue.add(`owner/${node.uid}`)
        if (node.owners.length) q.queue.add(`item/${node.uid}`)
      }
      inf.addHandler({
        add: observe,
        update: (_o, n) => observe(n),
        delete: (obj) => {
          const node = this.graph.remove(String(obj.metadata?.uid))
          if (!node) return
          this.absent.add(node.uid)
          for (const d of this.graph.dependentsOf(node.uid)) q.queue.add(`item/${d.uid}`)
          for (const o of node.owners) q.queue.add(`owner/${o.uid}`)
        },
      })
    }
  }

  stop(): void {
    this.stopped = true
    if (this.retry) clearTimeout(this.retry)
    this.q?.stop()
    for (const m of this.custom.values()) m.inf.stop()
    this.custom.clear()
  }

  private async reconcile(ctx: ControllerContext, key: string): Promise<void> {
    const [kind, uid] = key.split('/') as [string, string]
    if (kind === 'owner') return this.processOwner(ctx, uid)
    return this.attemptToDelete(ctx, uid)
  }

  /** An owner being deleted with the orphan or foregroundDeletion finalizer. */
  private async processOwner(ctx: ControllerContext, uid: string): Promise<void> {
    const owner = this.graph.nodes.get(uid)
    if (!owner || !owner.deleting) return
    if (owner.finalizers.includes('orphan')) {
      for (const d of this.graph.dependentsOf(uid)) await this.dropOwnerRefs(ctx, d, new Set([uid]))
      await removeFinalizer(ctx.client, owner.res, { metadata: { namespace: owner.namespace, name: owner.name, uid } }, 'orphan')
      ctx.log(`garbage-collector: orphaned dependents of ${owner.res.kind} ${owner.namespace ? `${owner.namespace}/` : ''}${owner.name}`)
      return
    }
    if (owner.finalizers.includes('foregroundDeletion')) {
      const deps = this.graph.dependentsOf(uid)
      for (const d of deps) this.q?.queue.add(`item/${d.uid}`)
      if (this.graph.blockingDependents(uid).length === 0) {
        await removeFinalizer(ctx.client, owner.res, { metadata: { namespace: owner.namespace, name: owner.name, uid } }, 'foregroundDeletion')
      }
    }
  }

  private async ownerState(ctx: ControllerContext, dep: GraphNode, o: OwnerRef): Promise<OwnerState> {
    if (this.absent.has(o.uid)) return 'dangling'
    let node = this.graph.nodes.get(o.uid)
    if (!node) {
      // Not in our graph: ask the API server (the owner may be a kind we do not watch).
      const res = this.resourceFor(o.apiVersion, o.kind)
      if (!res) return 'solid' // unknown kind: never delete on a guess
      let live: KubeObject | undefined
      try {
        live = await ctx.client.get(res, res.namespaced ? dep.namespace : undefined, o.name)
      } catch (e) {
        if (!isNotFound(e)) throw e
      }
      if (!live || live.metadata?.uid !== o.uid) {
        this.absent.add(o.uid)
        return 'dangling'
      }
      node = {
        res,
        namespace: live.metadata?.namespace,
        name: o.name,
        uid: o.uid,
        owners: [],
        deleting: !!live.metadata?.deletionTimestamp,
        finalizers: live.metadata?.finalizers ?? [],
      }
    }
    return node.deleting && node.finalizers.includes('foregroundDeletion') ? 'waiting' : 'solid'
  }

  /** A dependent whose owners may be gone or deleting in the foreground. */
  private async attemptToDelete(ctx: ControllerContext, uid: string): Promise<void> {
    const item = this.graph.nodes.get(uid)
    if (!item || item.owners.length === 0) return
    const states = await Promise.all(item.owners.map(async (o) => ({ o, s: await this.ownerState(ctx, item, o) })))
    const solid = states.filter((x) => x.s === 'solid')
    const gone = states.filter((x) => x.s !== 'solid')
    if (gone.length === 0) return
    if (solid.length > 0) {
      // Another owner still holds it: only drop references to the owners that are going away.
      await this.dropOwnerRefs(ctx, item, new Set(gone.map((x) => x.o.uid)))
      return
    }
    if (item.deleting) return // already on its way
    const waiting = states.some((x) => x.s === 'waiting')
    const policy = item.finalizers.includes('orphan') ? 'Orphan' : waiting && this.graph.dependentsOf(uid).length > 0 ? 'Foreground' : 'Background'
    try {
      await ctx.client.delete(item.res, item.namespace, item.name, { preconditions: { uid }, propagationPolicy: policy })
      ctx.log(`garbage-collector: deleted ${item.res.kind} ${item.namespace ? `${item.namespace}/` : ''}${item.name} (owner gone or deleting; ${policy})`)
    } catch (e) {
      if (!isNotFound(e) && !isConflict(e)) throw e
    }
  }

  private async dropOwnerRefs(ctx: ControllerContext, dep: GraphNode, uids: Set<string>): Promise<void> {
    const live = await ctx.client.get(dep.res, dep.namespace, dep.name)
    if (!live || live.metadata?.uid !== dep.uid) return
    const refs = (live.metadata?.ownerReferences ?? []) as unknown as OwnerRef[]
    const keep = refs.filter((r) => !uids.has(r.uid))
    if (keep.length === refs.length) return
    try {
      await ctx.client.patch(
        dep.res,
        dep.namespace,
        dep.name,
        { metadata: { ownerReferences: keep.length ? keep : null, resourceVersion: live.metadata?.resourceVersion } },
        'merge',
      )
    } catch (e) {
      if (!isNotFound(e)) throw e
    }
  }
}
