// The authorization attributes of a request, as upstream derives them from its RequestInfo.
import type { ResourceRequest } from '../request'
import type { Attributes, ResourceAttributes } from './attributes'

/** Streaming subresources are authorized as create even when opened with GET (a WebSocket upgrade), as upstream does since 1.31. */
const STREAMING = new Set(['exec', 'attach', 'portforward'])

export function resourceAttributes(request: ResourceRequest, query?: URLSearchParams): ResourceAttributes {
  const verb = request.subresource && STREAMING.has(request.subresource) ? 'create' : request.subresource === 'log' ? 'get' : request.verb
  let name = request.name
  const fieldSelector = (request.verb === 'list' || request.verb === 'watch') && query ? (query.get('fieldSelector') ?? undefined) : undefined
  // A list or watch of one object by metadata.name is authorized as that object, as upstream's
  // RequestInfo does (kubelets watch single Secrets and ConfigMaps this way).
  if (!name && fieldSelector) {
    const m = /^\s*metadata\.name\s*==?\s*([^,]+?)\s*$/.exec(fieldSelector)
    if (m) name = m[1]
  }
  return {
    kind: 'resource',
    verb,
    group: request.res.group,
    resource: request.res.plural,
    subresource: request.subresource,
    namespace: request.namespace,
    name,
    fieldSelector,
  }
}

export function nonResourceAttributes(method: string, path: string): Attributes {
  const verbs: Record<string, string> = { GET: 'get', HEAD: 'head', POST: 'post', PUT: 'put', PATCH: 'patch', DELETE: 'delete' }
  return { kind: 'nonresource', verb: verbs[method] ?? method.toLowerCase(), path }
}

/** /apis/metrics.k8s.io/v1beta1[/namespaces/NS]/(pods|nodes)[/NAME] */
export function metricsAttributes(segs: readonly string[], watch: boolean): Attributes {
  let rest = segs.slice(3)
  let namespace: string | undefined
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    namespace = rest[1]
    rest = rest.slice(2)
  }
  const [resource = '', name] = rest
  const verb = name ? 'get' : watch ? 'watch' : 'list'
  return { kind: 'resource', verb, group: 'metrics.k8s.io', resource, namespace, name }
}

/** An aggregated API's request (/apis/GROUP/VERSION[/namespaces/NS]/RESOURCE[/NAME[/SUB]]), as upstream's RequestInfo reads it. */
export function aggregatedAttributes(method: string, segs: readonly string[], watch: boolean): Attributes {
  let rest = segs.slice(3)
  let namespace: string | undefined
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    namespace = rest[1]
    rest = rest.slice(2)
  }
  const [resource = '', name, subresource] = rest
  const byMethod: Record<string, string> = { POST: 'create', PUT: 'update', PATCH: 'patch' }
  let verb = byMethod[method] ?? ''
  if (method === 'GET' || method === 'HEAD') verb = name ? 'get' : watch ? 'watch' : 'list'
  else if (method === 'DELETE') verb = name ? 'delete' : 'deletecollection'
  if (!verb) verb = method.toLowerCase()
  return { kind: 'resource', verb, group: segs[1] ?? '', resource, subresource, namespace, name }
}
