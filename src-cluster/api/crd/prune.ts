// Pruning and defaulting of custom resources by their structural schema, as upstream's
// apiextensions-apiserver does: unknown fields are dropped (and reported), defaults fill
// absent keys inside objects that exist.
import type { KubeObject } from '../object'
import type { JSONSchemaProps } from './types'

type Obj = Record<string, unknown>
const isObj = (v: unknown): v is Obj => !!v && typeof v === 'object' && !Array.isArray(v)

function itemsOf(s: JSONSchemaProps): JSONSchemaProps | undefined {
  return Array.isArray(s.items) ? s.items[0] : s.items
}

function join(path: string, key: string): string {
  return path ? `${path}.${key}` : key
}

/** Root-level fields every object keeps: they are not in the CRD schema. */
const ROOT_KEEP = new Set(['apiVersion', 'kind', 'metadata'])

function pruneValue(v: unknown, s: JSONSchemaProps | undefined, path: string, unknown: string[], root = false): void {
  if (!s) return
  if (Array.isArray(v)) {
    const it = itemsOf(s)
    v.forEach((x, i) => pruneValue(x, it, `${path}[${i}]`, unknown))
    return
  }
  if (!isObj(v)) return
  const preserve = s['x-kubernetes-preserve-unknown-fields'] === true
  const embedded = s['x-kubernetes-embedded-resource'] === true
  const props = s.properties
  const extra = isObj(s.additionalProperties) ? (s.additionalProperties as JSONSchemaProps) : undefined
  for (const key of Object.keys(v)) {
    if ((root || embedded) && ROOT_KEEP.has(key)) {
      // metadata of an embedded object is kept as it is; ours is the server's business.
      continue
    }
    const ps = props?.[key]
    if (ps) pruneValue(v[key], ps, join(path, key), unknown)
    else if (extra) pruneValue(v[key], extra, join(path, key), unknown)
    else if (!preserve && s.additionalProperties !== true) {
      unknown.push(join(path, key))
      delete v[key]
    }
  }
}

/** Drop the fields `schema` does not declare; returns the pruned copy and the dropped paths. */
export function pruneObject(obj: KubeObject, schema: JSONSchemaProps): { object: KubeObject; unknownFields: string[] } {
  const copy = structuredClone(obj)
  const unknown: string[] = []
  pruneValue(copy, schema, '', unknown, true)
  return { object: copy, unknownFields: unknown }
}

function defaultValue(v: unknown, s: JSONSchemaProps | undefined): void {
  if (!s) return
  if (Array.isArray(v)) {
    const it = itemsOf(s)
    for (const x of v) defaultValue(x, it)
    return
  }
  if (!isObj(v)) return
  for (const [key, ps] of Object.entries(s.properties ?? {})) {
    if (ps.default !== undefined && (!(key in v) || (v[key] === null && !ps.nullable))) v[key] = structuredClone(ps.default)
    if (key in v) defaultValue(v[key], ps)
  }
  if (isObj(s.additionalProperties)) {
    for (const key of Object.keys(v)) if (!s.properties?.[key]) defaultValue(v[key], s.additionalProperties as JSONSchemaProps)
  }
}

/** Fill schema defaults in place. */
export function defaultObject(obj: KubeObject, schema: JSONSchemaProps): void {
  defaultValue(obj, schema)
}
