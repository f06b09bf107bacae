// API discovery, both ways kubectl reads it: aggregated (apidiscovery.k8s.io/v2, one answer
// for /api and one for /apis, which must carry its exact content type) and the legacy
// per-group-version resource lists. Both come from the resource table.
import { allResources, groupVersions, type ResourceInfo } from '../api/resources'
import { metricsAggregatedGroup, metricsGroupListEntry } from './metrics'
import type { AggregatedApi } from './aggregator'

export const AGGREGATED_CONTENT_TYPE = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList'

export function wantsAggregated(accept: string | undefined): boolean {
  return !!accept && /g=apidiscovery\.k8s\.io/.test(accept) && /v=v2(?![a-z0-9])/.test(accept) && /as=APIGroupDiscoveryList/.test(accept)
}

function verbsOf(res: ResourceInfo): string[] {
  return [...(res.verbs ?? ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'])].sort()
}

function aggregatedResource(res: ResourceInfo): Record<string, unknown> {
  const out: Record<string, unknown> = {
    resource: res.plural,
    responseKind: { group: res.group, version: res.version, kind: res.kind },
    scope: res.namespaced ? 'Namespaced' : 'Cluster',
    singularResource: res.singular,
    verbs: verbsOf(res),
  }
  if (res.shortNames?.length) out.shortNames = res.shortNames
  if (res.categories?.length) out.categories = res.categories
  if (res.subresources?.length) {
    out.subresources = res.subresources.map((s) => ({
      subresource: s.name,
      responseKind: s.kind ?? { group: res.group, version: res.version, kind: res.kind },
      verbs: [...s.verbs].sort(),
    }))
  }
  return out
}

/** Groups (core when `core` is true, else the named groups), in discovery order. */
function groups(core: boolean): { name: string; versions: string[] }[] {
  const out: { name: string; versions: string[] }[] = []
  for (const gv of groupVersions()) {
    if ((gv.group === '') !== core) continue
    let g = out.find((x) => x.name === gv.group)
    if (!g) out.push((g = { name: gv.group, versions: [] }))
    if (!g.versions.includes(gv.version)) g.versions.push(gv.version)
  }
  return out
}

function served(group: string, version: string): ResourceInfo[] {
  return allResources().filter((r) => r.group === group && r.version === version && !isHidden(r))
}

/** Kinds that exist only as request bodies are not listed as resources... except the reviews, which upstream lists. */
function isHidden(r: ResourceInfo): boolean {
  return r.kind === 'Binding' && r.group === ''
}

/** Aggregated APIs grouped by group, versions in priority order (the input is sorted). */
function aggregatedGroups(apis: readonly AggregatedApi[]): { name: string; versions: AggregatedApi[] }[] {
  const out: { name: string; versions: AggregatedApi[] }[] = []
  for (const a of apis) {
    let g = out.find((x) => x.name === a.group)
    if (!g) out.push((g = { name: a.group, versions: [] }))
    g.versions.push(a)
  }
  return out
}

/** An aggregated API's resources (from its backend's APIResourceList) in aggregated-discovery form. */
function backendResources(a: AggregatedApi): Record<string, unknown>[] {
  const list = a.resources ?? []
  return list
    .filter((r) => !r.name.includes('/'))
    .map((r) => {
      const out: Record<string, unknown> = {
        resource: r.name,
        responseKind: { group: a.group, version: a.version, kind: r.kind ?? '' },
        scope: r.namespaced ? 'Namespaced' : 'Cluster',
        singularResource: r.singularName ?? '',
        verbs: r.verbs ?? [],
      }
      if (r.shortNames?.length) out.shortNames = r.shortNames
      if (r.categories?.length) out.categories = r.categories
      const subs = list.filter((s) => s.name.startsWith(`${r.name}/`))
      if (subs.length)
        out.subresources = subs.map((s) => ({
          subresource: s.name.slice(r.name.length + 1),
          responseKind: { group: a.group, version: a.version, kind: s.kind ?? '' },
          verbs: s.verbs ?? [],
        }))
      return out
    })
}

/**
 * `/api` or `/apis` in aggregated form. Aggregated APIs are listed only while their backend
 * answers (a dead one drops out instead of failing the whole document).
 */
export function aggregatedDiscovery(core: boolean, apis: readonly AggregatedApi[] = []): Record<string, unknown> {
  const live = aggregatedGroups(apis.filter((a) => a.available && a.resources))
  return {
    kind: 'APIGroupDiscoveryList',
    apiVersion: 'apidiscovery.k8s.io/v2',
    metadata: {},
    items: [
      ...groups(core).map((g) => ({
        metadata: { name: g.name, creationTimestamp: null },
        versions: g.versions.map((v) => ({ version: v, resources: served(g.name, v).map(aggregatedResource), freshness: 'Current' })),
      })),
      ...(core || apis.some((a) => a.group === 'metrics.k8s.io') ? [] : [metricsAggregatedGroup()]),
      ...(core
        ? []
        : live.map((g) => ({
            metadata: { name: g.name, creationTimestamp: null },
            versions: g.versions.map((a) => ({ version: a.version, resources: backendResources(a), freshness: 'Current' })),
          }))),
    ],
  }
}

export function legacyApiVersions(serverAddress: string): Record<string, unknown> {
  return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }] }
}

function apiGroup(g: { name: string; versions: string[] }): Record<string, unknown> {
  const versions = g.versions.map((v) => ({ groupVersion: `${g.name}/${v}`, version: v }))
  return { name: g.name, versions, preferredVersion: versions[0] }
}

/** Aggregated APIs' groups are listed whether or not their backend answers, as upstream's. */
export function legacyGroupList(apis: readonly AggregatedApi[] = []): Record<string, unknown> {
  const agg = aggregatedGroups(apis).map((g) => apiGroup({ name: g.name, versions: g.versions.map((a) => a.version) }))
  // A Service-backed metrics.k8s.io (metrics-server) replaces the API server's own.
  const metrics = apis.some((a) => a.group === 'metrics.k8s.io') ? [] : [metricsGroupListEntry()]
  return { kind: 'APIGroupList', apiVersion: 'v1', groups: [...groups(false).map(apiGroup), ...metrics, ...agg] }
}

export function legacyGroup(name: string, apis: readonly AggregatedApi[] = []): Record<string, unknown> | undefined {
  const g = groups(false).find((x) => x.name === name)
  if (g) return { kind: 'APIGroup', apiVersion: 'v1', ...apiGroup(g) }
  const a = aggregatedGroups(apis).find((x) => x.name === name)
  return a ? { kind: 'APIGroup', apiVersion: 'v1', ...apiGroup({ name: a.name, versions: a.versions.map((v) => v.version) }) } : undefined
}

export function legacyResourceList(group: string, version: string): Record<string, unknown> | undefined {
  const list = served(group, version)
  if (!list.length) return undefined
  const resources: Record<string, unknown>[] = []
  for (const r of list) {
    const base: Record<string, unknown> = { name: r.plural, singularName: r.singular, namespaced: r.namespaced, kind: r.kind, verbs: verbsOf(r) }
    if (r.shortNames?.length) base.shortNames = r.shortNames
    if (r.categories?.length) base.categories = r.categories
    resources.push(base)
    for (const s of r.subresources ?? []) {
      const k = s.kind ?? { group: r.group, version: r.version, kind: r.kind }
      const sub: Record<string, unknown> = {
        name: `${r.plural}/${s.name}`,
        singularName: '',
        namespaced: r.namespaced,
        kind: k.kind,
        verbs: [...s.verbs].sort(),
      }
      if (k.group !== r.group || k.version !== r.version) {
        sub.group = k.group
        sub.version = k.version
      }
      resources.push(sub)
    }
  }
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: group ? `${group}/${version}` : version, resources }
}
