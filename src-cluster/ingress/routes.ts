// The routing table: from our Ingresses, Services and EndpointSlices to "for this host and path,
// send to these endpoints (or answer why not)". Pure: built from plain objects, so every rule of
// the Ingress API is unit-tested without a cluster. The proxy swaps in a new table on change.
//
// Precedence: the host groups that cover a request are tried most specific first (exact host,
// then wildcard, then rules without host); in the first group with a matching path, the longest
// rule path wins, Exact beats Prefix on a tie, and between Ingresses the older one wins. When no
// path matches anywhere, the oldest Ingress's defaultBackend answers; without one, 404.
import { hostMatches, isWildcardHost, pathLength, pathMatches, type PathType } from './match'
import type { IngressObj, ServiceObj, SliceObj } from '../kit/objects'
import { type Endpoint, endpointsFor, slicesByService } from '../kit/endpoints'

export interface BackendRef {
  readonly namespace: string
  readonly service: string
  /** The Service port, by number or by name. */
  readonly port: number | string
}

/** A backend with the endpoints it balances over, or the reason it has none. */
export interface ResolvedBackend extends BackendRef {
  /** "namespace/service:port": round-robin state is kept per key across table rebuilds. */
  readonly key: string
  /** "namespace/name" of the Ingress that routes here. */
  readonly ingress: string
  readonly endpoints: readonly Endpoint[]
  /** Set when endpoints is empty: what is missing, for the 503 answer. */
  readonly unavailable?: string
}

export interface RouteEntry {
  /** '' for rules without host. */
  readonly host: string
  readonly path: string
  readonly pathType: PathType
  readonly backend: ResolvedBackend
}

export type RouteResult = { readonly kind: 'backend'; readonly backend: ResolvedBackend; readonly rule?: RouteEntry } | { readonly kind: 'none' }

export interface RoutingInput {
  /** Only the Ingresses this controller implements. */
  readonly ingresses: readonly IngressObj[]
  readonly services: readonly ServiceObj[]
  readonly slices: readonly SliceObj[]
}

export interface RoutingTable {
  readonly entries: readonly RouteEntry[]
  readonly defaultBackend?: ResolvedBackend
  route(host: string, path: string): RouteResult
}

const ingressKey = (i: IngressObj): string => `${i.metadata?.namespace ?? ''}/${i.metadata?.name ?? ''}`

/** Oldest first; the name breaks ties so the order never depends on list order. */
export function byAge(a: IngressObj, b: IngressObj): number {
  const ta = a.metadata?.creationTimestamp ?? ''
  const tb = b.metadata?.creationTimestamp ?? ''
  return ta === tb ? ingressKey(a).localeCompare(ingressKey(b)) : ta.localeCompare(tb)
}

/** Resolves a Service port (number or name) to the endpoints behind it. */
export function resolveBackend(
  ref: BackendRef,
  ingress: string,
  services: ReadonlyMap<string, ServiceObj>,
  slices: ReadonlyMap<string, SliceObj[]>,
): ResolvedBackend {
  const svcKey = `${ref.namespace}/${ref.service}`
  const base = { ...ref, key: `${svcKey}:${ref.port}`, ingress }
  const svc = services.get(svcKey)
  if (!svc) return { ...base, endpoints: [], unavailable: `service ${svcKey} does not exist` }
  if (svc.spec?.type === 'ExternalName')
    return { ...base, endpoints: [], unavailable: `service ${svcKey} is of type ExternalName, which this ingress controller does not proxy to` }
  const port = (svc.spec?.ports ?? []).find((p) => (typeof ref.port === 'number' ? p.port === ref.port : p.name === ref.port))
  if (!port) {
    const have = (svc.spec?.ports ?? []).map((p) => (p.name ? `${p.name}/${p.port}` : String(p.port))).join(', ') || 'none'
    return { ...base, endpoints: [], unavailable: `service ${svcKey} has no port ${JSON.stringify(ref.port)} (it has: ${have})` }
  }
  if ((port.protocol ?? 'TCP') !== 'TCP') return { ...base, endpoints: [], unavailable: `service ${svcKey} port ${ref.port} is ${port.protocol}, not TCP` }
  const endpoints = endpointsFor(slices.get(svcKey) ?? [], port.name ?? '', 'TCP')
  if (endpoints.length === 0) return { ...base, endpoints, unavailable: `service ${svcKey} has no ready endpoints` }
  return { ...base, endpoints }
}

function backendRef(namespace: string, b: { service?: { name: string; port?: { name?: string; number?: number } } } | undefined): BackendRef | undefined {
  const s = b?.service
  if (!s?.name) return undefined
  const port = s.port?.number ?? s.port?.name
  if (port === undefined || port === '') return undefined
  return { namespace, service: s.name, port }
}

/** Rank of a host group: exact hosts first, then wildcards, then rules for every host. */
function hostRank(host: string): number {
  if (!host) return 2
  return isWildcardHost(host) ? 1 : 0
}

export function buildRoutingTable(input: RoutingInput): RoutingTable {
  const services = new Map(input.services.map((s) => [`${s.metadata?.namespace ?? ''}/${s.metadata?.name ?? ''}`, s]))
  const slices = slicesByService(input.slices)
  const resolved = new Map<string, ResolvedBackend>()
  const resolve = (ref: BackendRef, ingress: string): ResolvedBackend => {
    const k = `${ingress}|${ref.namespace}/${ref.service}:${ref.port}`
    let r = resolved.get(k)
    if (!r) resolved.set(k, (r = resolveBackend(ref, ingress, services, slices)))
    return r
  }
  const entries: RouteEntry[] = []
  let defaultBackend: ResolvedBackend | undefined
  for (const ing of [...input.ingresses].sort(byAge)) {
    const ns = ing.metadata?.namespace ?? ''
    const key = ingressKey(ing)
    const def = backendRef(ns, ing.spec?.defaultBackend)
    if (def && !defaultBackend) defaultBackend = resolve(def, key)
    for (const rule of ing.spec?.rules ?? []) {
      const host = (rule.host ?? '').toLowerCase()
      for (const p of rule.http?.paths ?? []) {
        const ref = backendRef(ns, p.backend)
        if (!ref) continue // resource backends: nothing to proxy to
        const pathType = (p.pathType ?? 'ImplementationSpecific') as PathType
        entries.push({ host, path: p.path || '/', pathType, backend: resolve(ref, key) })
      }
    }
  }
  // Stable sort: within a host group, longer paths first, Exact before Prefix, then age order.
  const ordered = entries
    .map((e, i) => ({ e, i }))
    .sort((a, b) => {
      const la = pathLength(a.e.pathType, a.e.path)
      const lb = pathLength(b.e.pathType, b.e.path)
      if (la !== lb) return lb - la
      const xa = a.e.pathType === 'Exact' ? 0 : 1
      const xb = b.e.pathType === 'Exact' ? 0 : 1
      return xa !== xb ? xa - xb : a.i - b.i
    })
    .map((x) => x.e)
  const groups = new Map<string, RouteEntry[]>()
  for (const e of ordered) {
    const g = groups.get(e.host)
    if (g) g.push(e)
    else groups.set(e.host, [e])
  }
  const hostOrder = [...groups.keys()].sort((a, b) => hostRank(a) - hostRank(b) || b.length - a.length || a.localeCompare(b))
  return {
    entries: ordered,
    defaultBackend,
    route(host: string, path: string): RouteResult {
      for (const h of hostOrder) {
        if (!hostMatches(h, host)) continue
        for (const e of groups.get(h)!) if (pathMatches(e.pathType, e.path, path)) return { kind: 'backend', backend: e.backend, rule: e }
      }
      return defaultBackend ? { kind: 'backend', backend: defaultBackend } : { kind: 'none' }
    },
  }
}
