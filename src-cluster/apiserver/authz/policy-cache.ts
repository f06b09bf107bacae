// The RBAC objects in memory, kept current by a watch on the store (as upstream's authorizer
// reads through informers): answering "may this user do this" must not cost store reads on
// every request. A compacted watch re-lists.
import { findResource, type ResourceInfo } from '../../api/resources'
import { labelSelectorFromObject, matchLabels, type LabelSelectorObject } from '../../api/selectors'
import type { KeyValue, Storage, Watcher } from '../../store/types'
import { decodeFor, resourcePrefix } from '../registry/objects'
import type { Binding, PolicyRule, PolicySource, RoleRef, Subject } from './rules'

const RBAC = 'rbac.authorization.k8s.io'
const RES = {
  roles: findResource(RBAC, 'v1', 'roles')!,
  clusterroles: findResource(RBAC, 'v1', 'clusterroles')!,
  rolebindings: findResource(RBAC, 'v1', 'rolebindings')!,
  clusterrolebindings: findResource(RBAC, 'v1', 'clusterrolebindings')!,
}
type Kind = keyof typeof RES

interface RoleEntry {
  readonly rules: readonly PolicyRule[]
  readonly labels: Record<string, string>
  readonly aggregation?: readonly LabelSelectorObject[]
}

interface RawObject {
  metadata?: { name?: string; namespace?: string; labels?: Record<string, string> }
  rules?: PolicyRule[]
  aggregationRule?: { clusterRoleSelectors?: LabelSelectorObject[] }
  subjects?: Subject[]
  roleRef?: RoleRef
}

export class PolicyCache implements PolicySource {
  private readonly roles = new Map<string, RoleEntry>() // ns/name
  private readonly clusterRoles = new Map<string, RoleEntry>()
  private readonly bindings = new Map<string, Map<string, Binding>>() // ns → name → binding
  private readonly clusterBindings = new Map<string, Binding>()
  private readonly watchers: Watcher[] = []
  private closed = false

  private constructor(private readonly store: Storage) {}

  static async start(store: Storage): Promise<PolicyCache> {
    const c = PolicyCache.create(store)
    await c.load()
    return c
  }

  /** An empty cache; `load()` reads the store and starts following it. */
  static create(store: Storage): PolicyCache {
    return new PolicyCache(store)
  }

  async load(): Promise<void> {
    for (const k of Object.keys(RES) as Kind[]) await this.sync(k)
  }

  private async sync(kind: Kind): Promise<void> {
    const res = RES[kind]
    const r = await this.store.range(resourcePrefix(res))
    this.clear(kind)
    for (const kv of r.kvs) this.put(kind, res, kv)
    const w = this.store.watch(
      resourcePrefix(res),
      { afterRevision: r.revision },
      (events) => {
        for (const e of events) {
          if (e.type === 'put') this.put(kind, res, e.kv)
          else this.remove(kind, e.kv.key, res)
        }
      },
      (err) => {
        if (this.closed || err.code === 'closed') return
        // Missed history: list again from now.
        void this.sync(kind).catch(() => undefined)
      },
    )
    this.watchers.push(w)
  }

  private clear(kind: Kind): void {
    if (kind === 'roles') this.roles.clear()
    else if (kind === 'clusterroles') this.clusterRoles.clear()
    else if (kind === 'rolebindings') this.bindings.clear()
    else this.clusterBindings.clear()
  }

  private put(kind: Kind, res: ResourceInfo, kv: KeyValue): void {
    const o = decodeFor(res, kv) as RawObject
    const name = o.metadata?.name ?? ''
    const ns = o.metadata?.namespace ?? ''
    if (kind === 'roles' || kind === 'clusterroles') {
      const entry: RoleEntry = { rules: o.rules ?? [], labels: o.metadata?.labels ?? {}, aggregation: o.aggregationRule?.clusterRoleSelectors }
      if (kind === 'roles') this.roles.set(`${ns}/${name}`, entry)
      else this.clusterRoles.set(name, entry)
      return
    }
    if (!o.roleRef) return
    const b: Binding = { name, namespace: kind === 'rolebindings' ? ns : undefined, subjects: o.subjects ?? [], roleRef: o.roleRef }
    if (kind === 'clusterrolebindings') this.clusterBindings.set(name, b)
    else {
      let m = this.bindings.get(ns)
      if (!m) this.bindings.set(ns, (m = new Map()))
      m.set(name, b)
    }
  }

  private remove(kind: Kind, key: string, res: ResourceInfo): void {
    const rest = key.slice(resourcePrefix(res).length)
    if (kind === 'roles') this.roles.delete(rest)
    else if (kind === 'clusterroles') this.clusterRoles.delete(rest)
    else if (kind === 'clusterrolebindings') this.clusterBindings.delete(rest)
    else {
      const [ns, name] = rest.split('/') as [string, string]
      this.bindings.get(ns)?.delete(name)
    }
  }

  clusterRoleRules(name: string): readonly PolicyRule[] | undefined {
    return this.clusterRoles.has(name) ? this.aggregated(name, new Set()) : undefined
  }

  // An aggregated ClusterRole (admin, edit, view, or a learner's own) also holds the rules of
  // every ClusterRole its selectors pick, transitively (admin picks edit, which picks view), as
  // upstream's aggregation controller would have written into it.
  private aggregated(name: string, seen: Set<string>): PolicyRule[] {
    const r = this.clusterRoles.get(name)
    if (!r || seen.has(name)) return []
    seen.add(name)
    const out = [...r.rules]
    if (!r.aggregation?.length) return out
    const sels = r.aggregation.map((s) => labelSelectorFromObject(s))
    for (const [other, e] of this.clusterRoles) {
      if (sels.some((s) => matchLabels(s, e.labels))) out.push(...this.aggregated(other, seen))
    }
    return out
  }

  roleRules(namespace: string, name: string): readonly PolicyRule[] | undefined {
    return this.roles.get(`${namespace}/${name}`)?.rules
  }

  clusterRoleBindings(): Iterable<Binding> {
    return this.clusterBindings.values()
  }

  roleBindings(namespace: string): Iterable<Binding> {
    return this.bindings.get(namespace)?.values() ?? []
  }

  close(): void {
    this.closed = true
    for (const w of this.watchers) w.cancel()
  }
}
