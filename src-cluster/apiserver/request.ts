// Turns a request path and method into what it asks for (upstream calls this RequestInfo).
import { findResource, type ResourceInfo } from '../api/resources'
import { queryBool } from '../util/query'

export type Verb = 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete' | 'deletecollection'

export interface ResourceRequest {
  readonly type: 'resource'
  readonly res: ResourceInfo
  readonly verb: Verb
  readonly namespace?: string
  readonly name?: string
  readonly subresource?: string
  /** Extra path after the subresource (pods/proxy/<path>). */
  readonly rest: readonly string[]
}

export interface OtherRequest {
  readonly type: 'other'
  readonly path: string
}

export interface UnknownResourceRequest {
  readonly type: 'unknown-resource'
  readonly group: string
  readonly version: string
  readonly plural: string
}

export type RequestInfo = ResourceRequest | OtherRequest | UnknownResourceRequest

function isWatchParam(q: URLSearchParams): boolean {
  return queryBool(q, 'watch')
}

export function parseRequest(method: string, pathname: string, query: URLSearchParams): RequestInfo {
  const segs = pathname
    .split('/')
    .filter((s) => s.length > 0)
    .map(decodeURIComponent)
  let group: string
  let version: string
  let rest: string[]
  if (segs[0] === 'api' && segs.length >= 3) {
    group = ''
    version = segs[1]!
    rest = segs.slice(2)
  } else if (segs[0] === 'apis' && segs.length >= 4) {
    group = segs[1]!
    version = segs[2]!
    rest = segs.slice(3)
  } else {
    return { type: 'other', path: pathname }
  }
  // Legacy "/api/v1/watch/..." paths: same as ?watch=true.
  let watch = isWatchParam(query)
  if (rest[0] === 'watch') {
    watch = true
    rest = rest.slice(1)
  }
  let namespace: string | undefined
  let plural: string
  let name: string | undefined
  let subresource: string | undefined
  let extra: string[] = []
  const nsScoped = rest[0] === 'namespaces' && rest.length >= 3 ? findResource(group, version, rest[2]!) : undefined
  if (nsScoped && nsScoped.namespaced) {
    namespace = rest[1]
    plural = rest[2]!
    name = rest[3]
    subresource = rest[4]
    extra = rest.slice(5)
  } else if (rest[0] === 'namespaces' && rest.length >= 3 && !['status', 'finalize'].includes(rest[2]!)) {
    // /namespaces/NS/<something we do not serve>
    return { type: 'unknown-resource', group, version, plural: rest[2]! }
  } else {
    plural = rest[0]!
    name = rest[1]
    subresource = rest[2]
    extra = rest.slice(3)
  }
  const res = findResource(group, version, plural)
  if (!res) return { type: 'unknown-resource', group, version, plural }

  let verb: Verb
  switch (method) {
    case 'GET':
    case 'HEAD':
      verb = name ? (watch ? 'watch' : 'get') : watch ? 'watch' : 'list'
      break
    case 'POST':
      verb = 'create'
      break
    case 'PUT':
      verb = 'update'
      break
    case 'PATCH':
      verb = 'patch'
      break
    case 'DELETE':
      verb = name ? 'delete' : 'deletecollection'
      break
    default:
      verb = 'get'
  }
  return { type: 'resource', res, verb, namespace, name, subresource, rest: extra }
}
