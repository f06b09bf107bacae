// Resource references and URL paths: where a resource (and one object of it) lives on the API server.
import { allResources, findResource } from '../api/resources'
import type { ResourceRef } from './types'

/** A ResourceRef from the API server's resource table, e.g. resourceRef('apps/v1', 'deployments'). */
export function resourceRef(apiVersion: string, plural: string): ResourceRef {
  const i = apiVersion.indexOf('/')
  const group = i < 0 ? '' : apiVersion.slice(0, i)
  const version = i < 0 ? apiVersion : apiVersion.slice(i + 1)
  const info = findResource(group, version, plural)
  if (!info) {
    const known = allResources()
      .filter((r) => r.group === group)
      .map((r) => r.plural)
    throw new Error(`unknown resource ${plural} in ${apiVersion}: the API server serves ${known.length ? known.join(', ') : 'nothing in that group'}`)
  }
  return { group: info.group, version: info.version, plural: info.plural, namespaced: info.namespaced, kind: info.kind }
}

export function apiVersionOfRef(res: ResourceRef): string {
  return res.group ? `${res.group}/${res.version}` : res.version
}

/** /api/v1[/namespaces/NS]/PLURAL[/NAME[/SUB]] or /apis/GROUP/VERSION/... */
export function resourcePath(res: ResourceRef, namespace?: string, name?: string, subresource?: string): string {
  let p = res.group ? `/apis/${res.group}/${res.version}` : `/api/${res.version}`
  if (res.namespaced && namespace) p += `/namespaces/${encodeURIComponent(namespace)}`
  p += `/${res.plural}`
  if (name !== undefined) {
    if (name === '') throw new Error(`a ${res.kind} name is required for this request`)
    p += `/${encodeURIComponent(name)}`
    if (subresource) p += `/${subresource}`
  }
  return p
}

export function queryString(params: Record<string, string | number | boolean | undefined>): string {
  const q = new URLSearchParams()
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') q.set(k, String(v))
  const s = q.toString()
  return s ? `?${s}` : ''
}
