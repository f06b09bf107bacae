// The app's URL: every view and selected object has one (hash routing, so it works from
// file:// inside Electron and from `kubelab serve` alike). Pure; unit-tested in Node.
//   #/clusters?cluster=lab
//   #/resources/deployments?cluster=lab&ns=default,team-a
//   #/resources/deployments/default/web?cluster=lab         (an object's detail page)
//   #/resources/nodes/-/node-1?cluster=lab                  (cluster-scoped: namespace "-")
//   #/topology?cluster=lab&q=app%3Dweb&status=bad&pods=grouped&by=namespace
//                                (the topology's filter and picture; defaults are left out)
export const viewNames = ['clusters', 'resources', 'topology', 'logs', 'terminals', 'labs'] as const
export type ViewName = (typeof viewNames)[number]

export interface RouteObject {
  namespace: string | null
  name: string
}

/** How the topology is narrowed and drawn (TopologyView). */
export interface TopologyRoute {
  /** Filter words: `namespace/name` parts and `label=value`. */
  filter: string
  /** A status colour (RowTone) or `all`. */
  status: 'all' | 'ok' | 'busy' | 'bad' | 'idle'
  /** Pods each as a graph node, grouped by workload, or chosen by size. */
  pods: 'auto' | 'each' | 'grouped'
  /** Boxes of the grouped picture: one per node or per namespace. */
  by: 'node' | 'namespace'
}

export const topologyDefaults: TopologyRoute = { filter: '', status: 'all', pods: 'auto', by: 'node' }
const topologyChoices = {
  status: ['all', 'ok', 'busy', 'bad', 'idle'],
  pods: ['auto', 'each', 'grouped'],
  by: ['node', 'namespace'],
} as const

function pick<T extends string>(value: string | null, choices: readonly T[], fallback: T): T {
  return (choices as readonly string[]).includes(value ?? '') ? (value as T) : fallback
}

export interface Route {
  view: ViewName
  cluster: string | null
  /** Resources: the listed type (plural, e.g. `deployments`). */
  type: string | null
  /** Resources: the object whose detail page is open. */
  object: RouteObject | null
  /** Namespaces the views show; empty: all. */
  namespaces: string[]
  /** Topology: its filter and picture (defaults on other views). */
  topology: TopologyRoute
}

export function formatRoute(route: Route): string {
  let path = `#/${route.view}`
  if (route.view === 'resources' && route.type) {
    path += `/${encodeURIComponent(route.type)}`
    if (route.object) path += `/${route.object.namespace ? encodeURIComponent(route.object.namespace) : '-'}/${encodeURIComponent(route.object.name)}`
  }
  const q: string[] = []
  if (route.cluster) q.push(`cluster=${encodeURIComponent(route.cluster)}`)
  if (route.namespaces.length > 0) q.push(`ns=${route.namespaces.map(encodeURIComponent).join(',')}`)
  if (route.view === 'topology') {
    const t = route.topology
    if (t.filter.trim() !== '') q.push(`q=${encodeURIComponent(t.filter)}`)
    if (t.status !== topologyDefaults.status) q.push(`status=${t.status}`)
    if (t.pods !== topologyDefaults.pods) q.push(`pods=${t.pods}`)
    if (t.by !== topologyDefaults.by) q.push(`by=${t.by}`)
  }
  return q.length > 0 ? `${path}?${q.join('&')}` : path
}

function dec(s: string): string {
  try {
    return decodeURIComponent(s)
  } catch {
    return s
  }
}

/** The route a hash names; anything unknown falls back to the Clusters view. */
export function parseRoute(hash: string): Route {
  const text = hash.replace(/^#\/?/, '')
  const qi = text.indexOf('?')
  const path = (qi < 0 ? text : text.slice(0, qi))
    .split('/')
    .filter((s) => s !== '')
    .map(dec)
  const query = new URLSearchParams(qi < 0 ? '' : text.slice(qi + 1))
  const view = (viewNames as readonly string[]).includes(path[0] ?? '') ? (path[0] as ViewName) : 'clusters'
  const cluster = query.get('cluster') || null
  const ns = query.get('ns')
  const namespaces = ns
    ? [
        ...new Set(
          ns
            .split(',')
            .map((s) => s.trim())
            .filter((s) => s !== ''),
        ),
      ]
    : []
  let type: string | null = null
  let object: RouteObject | null = null
  if (view === 'resources') {
    type = path[1] ?? null
    if (type && path.length >= 4) object = { namespace: path[2] === '-' ? null : (path[2] ?? null), name: path[3] ?? '' }
  }
  const topology: TopologyRoute =
    view === 'topology'
      ? {
          filter: query.get('q') ?? '',
          status: pick(query.get('status'), topologyChoices.status, topologyDefaults.status),
          pods: pick(query.get('pods'), topologyChoices.pods, topologyDefaults.pods),
          by: pick(query.get('by'), topologyChoices.by, topologyDefaults.by),
        }
      : { ...topologyDefaults }
  return { view, cluster, type, object, namespaces, topology }
}

/**
 * Whether going from `a` to `b` deserves its own Back step (not a mere default filled in). The
 * topology's filter and picture replace the current entry: typing a filter is not a place.
 */
export function isNewPlace(a: Route, b: Route): boolean {
  if (a.view !== b.view || a.type !== b.type) return true
  if ((a.object?.namespace ?? null) !== (b.object?.namespace ?? null) || (a.object?.name ?? null) !== (b.object?.name ?? null)) return true
  if (a.cluster !== null && a.cluster !== b.cluster) return true
  return a.namespaces.join(',') !== b.namespaces.join(',')
}

/** A row's namespace against the selection: cluster-scoped rows always pass; no selection passes all. */
export function inNamespaces(namespace: string | null, selected: readonly string[]): boolean {
  return namespace === null || selected.length === 0 || selected.includes(namespace)
}
