// Resources the API server serves that this process's built-in table lacks (custom resources),
// read from aggregated discovery as client-go's discovery client does. Controllers in another
// process than the API server (namespace deletion, the HPA) find custom resources this way.
import { RESOURCES } from '../api/resources'
import type { Client, ResourceRef } from './types'

const AGGREGATED = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList'

export interface DiscoveredResource extends ResourceRef {
  readonly verbs: readonly string[]
  readonly subresources: readonly string[]
}

interface AggregatedList {
  items?: {
    metadata?: { name?: string }
    versions?: {
      version: string
      resources?: { resource: string; responseKind?: { kind?: string }; scope?: string; verbs?: string[]; subresources?: { subresource: string }[] }[]
    }[]
  }[]
}

/** Served resources (of named groups) that are not built in, preferred version first per group. */
export async function discoverExtraResources(client: Pick<Client, 'request'>): Promise<DiscoveredResource[]> {
  const list = await client.request<AggregatedList>('GET', '/apis', undefined, { Accept: AGGREGATED })
  const out: DiscoveredResource[] = []
  for (const g of list.items ?? []) {
    const group = g.metadata?.name ?? ''
    for (const v of g.versions ?? []) {
      for (const r of v.resources ?? []) {
        if (RESOURCES.some((x) => x.group === group && x.version === v.version && x.plural === r.resource)) continue
        out.push({
          group,
          version: v.version,
          plural: r.resource,
          kind: r.responseKind?.kind ?? '',
          namespaced: r.scope === 'Namespaced',
          verbs: r.verbs ?? [],
          subresources: (r.subresources ?? []).map((s) => s.subresource),
        })
      }
    }
  }
  return out
}
