// RBAC's escalation prevention, as upstream's role and binding storage does it: a user may
// write a Role or ClusterRole only with rules it already holds (or the `escalate` verb), and
// may bind a role only when it holds that role's rules (or the `bind` verb on it). Without
// this, permission to create RoleBindings is permission to become cluster-admin.
import { isDeepStrictEqual } from 'node:util'
import type { KubeObject } from '../../api/object'
import type { ResourceInfo } from '../../api/resources'
import type { ServerContext, User } from '../context'
import { failure } from '../status'
import type { Attributes } from './attributes'
import { MASTERS } from './authorizer'
import type { PolicyRule, RoleRef } from './rules'

const RBAC = 'rbac.authorization.k8s.io'
const FULL_AUTHORITY: readonly PolicyRule[] = [
  { verbs: ['*'], apiGroups: ['*'], resources: ['*'] },
  { verbs: ['*'], nonResourceURLs: ['*'] },
]

/** One verb on one group/resource(/name), or on one non-resource URL: what "covers" is decided on. */
type AtomicRule = { verb: string; group: string; resource: string; name?: string } | { verb: string; url: string }

function atomize(rules: readonly PolicyRule[]): AtomicRule[] {
  const out: AtomicRule[] = []
  for (const r of rules) {
    for (const verb of r.verbs ?? []) {
      for (const url of r.nonResourceURLs ?? []) out.push({ verb, url })
      for (const group of r.apiGroups ?? []) {
        for (const resource of r.resources ?? []) {
          if (r.resourceNames?.length) for (const name of r.resourceNames) out.push({ verb, group, resource, name })
          else out.push({ verb, group, resource })
        }
      }
    }
  }
  return out
}

const hasOrStar = (list: readonly string[] | undefined, v: string): boolean => !!list && (list.includes('*') || list.includes(v))

// Upstream's ruleCovers: a servant "*" needs an owner "*"; an owner "*/SUB" covers any resource's SUB subresource.
function covers(owner: PolicyRule, a: AtomicRule): boolean {
  if (!hasOrStar(owner.verbs, a.verb)) return false
  if ('url' in a) {
    return (owner.nonResourceURLs ?? []).some((u) => u === '*' || u === a.url || (u.endsWith('*') && a.url.startsWith(u.slice(0, -1))))
  }
  if (!hasOrStar(owner.apiGroups, a.group)) return false
  const resources = owner.resources ?? []
  const slash = a.resource.indexOf('/')
  const resourceOk = resources.includes('*') || resources.includes(a.resource) || (slash > 0 && resources.includes(`*/${a.resource.slice(slash + 1)}`))
  if (!resourceOk) return false
  const names = owner.resourceNames ?? []
  return names.length === 0 || (a.name !== undefined && names.includes(a.name))
}

const q = (list: readonly string[]): string => `[${list.map((s) => JSON.stringify(s)).join(' ')}]`

/**
 * Upstream's CompactRules + CompactString: rules for one group/resource that differ only by
 * verb become one, e.g. {APIGroups:["apps"], Resources:["deployments"], Verbs:["get" "list"]}.
 */
function compactAll(atoms: readonly AtomicRule[]): string[] {
  const merged = new Map<string, { head: string; verbs: string[] }>()
  for (const a of atoms) {
    const head =
      'url' in a
        ? `{NonResourceURLs:${q([a.url])}`
        : `{APIGroups:${q([a.group])}, Resources:${q([a.resource])}${a.name !== undefined ? `, ResourceNames:${q([a.name])}` : ''}`
    const entry = merged.get(head) ?? { head, verbs: [] }
    if (!entry.verbs.includes(a.verb)) entry.verbs.push(a.verb)
    merged.set(head, entry)
  }
  return [...merged.values()].map((e) => `${e.head}, Verbs:${q(e.verbs)}}`).sort()
}

/** The rules the user lacks among `rules`, in `namespace` ('' = cluster-wide grants only). */
function missing(ctx: ServerContext, user: User, rules: readonly PolicyRule[], namespace: string | undefined): AtomicRule[] {
  const held = ctx.authorizer.rules(user, namespace || undefined)
  return atomize(rules).filter((a) => !held.some((h) => covers(h, a)))
}

function forbidden(res: ResourceInfo, name: string, message: string): Error {
  return failure(403, 'Forbidden', `${res.plural}.${RBAC} "${name}" is forbidden: ${message}`, { name, group: RBAC, kind: res.plural })
}

function notHeld(user: User, lacking: AtomicRule[]): string {
  const lines = compactAll(lacking)
  return `user ${JSON.stringify(user.name)} (groups=${q(user.groups)}) is attempting to grant RBAC permissions not currently held:\n${lines.join('\n')}`
}

function allowedVerb(ctx: ServerContext, user: User, verb: 'escalate' | 'bind', resource: string, name: string, namespace: string | undefined): boolean {
  const a: Attributes = { kind: 'resource', verb, group: RBAC, resource, name, namespace }
  return ctx.authorizer.authorize(user, a).allowed
}

/** Upstream's IsOnlyMutatingGCFields: owner references and finalizers may change without a check. */
function onlyGcFields(next: KubeObject, old: KubeObject): boolean {
  const strip = (o: KubeObject): KubeObject => {
    const c = structuredClone(o)
    const m = (c.metadata ?? {}) as Record<string, unknown>
    for (const k of ['ownerReferences', 'finalizers', 'managedFields', 'resourceVersion', 'generation']) delete m[k]
    c.metadata = m
    return c
  }
  return isDeepStrictEqual(strip(next), strip(old))
}

/**
 * Refuse a Role, ClusterRole, RoleBinding or ClusterRoleBinding write that would grant the
 * requesting user more than it holds. `old` is the stored object on update. Writes without a
 * request user (the server's own bootstrap) and by system:masters pass.
 */
export function checkRbacEscalation(ctx: ServerContext, user: User | undefined, res: ResourceInfo, obj: KubeObject, old?: KubeObject): void {
  if (res.group !== RBAC || !user || user.groups.includes(MASTERS)) return
  if (old && onlyGcFields(obj, old)) return
  const name = obj.metadata?.name ?? ''
  const namespace = res.namespaced ? obj.metadata?.namespace : undefined
  if (res.plural === 'roles' || res.plural === 'clusterroles') {
    if (allowedVerb(ctx, user, 'escalate', res.plural, name, namespace)) return
    const rules = ((obj as { rules?: PolicyRule[] }).rules ?? []) as PolicyRule[]
    const lacking = missing(ctx, user, rules, namespace)
    if (lacking.length) throw forbidden(res, name, notHeld(user, lacking))
    // An aggregationRule can gather any rule in the cluster, so it takes every rule there is.
    const aggregation = (obj as { aggregationRule?: unknown }).aggregationRule
    const oldAggregation = (old as { aggregationRule?: unknown } | undefined)?.aggregationRule
    if (res.plural === 'clusterroles' && aggregation !== undefined && !isDeepStrictEqual(aggregation, oldAggregation)) {
      if (missing(ctx, user, FULL_AUTHORITY, undefined).length) throw forbidden(res, name, 'must have cluster-admin privileges to use the aggregationRule')
    }
    return
  }
  if (res.plural === 'rolebindings' || res.plural === 'clusterrolebindings') {
    const ref = (obj as { roleRef?: RoleRef }).roleRef
    if (!ref) return // validation says what is missing
    const refResource = ref.kind === 'ClusterRole' ? 'clusterroles' : 'roles'
    if (allowedVerb(ctx, user, 'bind', refResource, ref.name, namespace)) return
    const rules = ctx.authorizer.roleRefRules(ref, namespace)
    if (rules === undefined) {
      throw failure(404, 'NotFound', `${refResource}.${RBAC} "${ref.name}" not found`, { name: ref.name, group: RBAC, kind: refResource })
    }
    const lacking = missing(ctx, user, rules, namespace)
    if (lacking.length) throw forbidden(res, name, notHeld(user, lacking))
  }
}
