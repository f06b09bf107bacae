// A CRD version's structural schema as schema structs (the DSL the rest of the server walks):
// patches (merge keys, list types), server-side apply and anything else that takes a `Lookup`
// then treat custom resources like built-in kinds. Nested objects become structs named after
// their path under the kind's definition name.
import { structByName } from '../schema'
import type { Field, FieldType, Struct } from '../schema/dsl'
import { OBJECT_META, typeMetaFields } from '../schema/dsl'
import type { JSONSchemaProps } from './types'

type Lookup = (name: string) => Struct

const RAW: FieldType = { t: 'raw' }

function itemsOf(s: JSONSchemaProps): JSONSchemaProps | undefined {
  return Array.isArray(s.items) ? s.items[0] : s.items
}

function fieldType(s: JSONSchemaProps, name: string, out: Map<string, Struct>): FieldType {
  if (s['x-kubernetes-int-or-string']) return { t: 'intOrString' }
  switch (s.type) {
    case 'string':
      return { t: 'string' }
    case 'integer':
      return { t: 'int64' }
    case 'number':
      return { t: 'double' }
    case 'boolean':
      return { t: 'bool' }
    case 'array': {
      const it = itemsOf(s)
      const listType = (s['x-kubernetes-list-type'] as 'atomic' | 'map' | 'set' | undefined) ?? 'atomic'
      const keys = s['x-kubernetes-list-map-keys']
      return {
        t: 'list',
        of: it ? fieldType(it, `${name}.items`, out) : RAW,
        listType,
        ...(listType === 'map' && keys?.length ? { mapKeys: keys, mergeKey: keys[0], strategy: 'merge' as const } : {}),
      }
    }
    case 'object': {
      if (s.properties && !s['x-kubernetes-preserve-unknown-fields'] && !s['x-kubernetes-embedded-resource']) {
        out.set(name, toStruct(name, s, out, false))
        return { t: 'ref', name }
      }
      if (s.additionalProperties && typeof s.additionalProperties === 'object')
        return { t: 'map', of: fieldType(s.additionalProperties, `${name}.additionalProperties`, out) }
      return RAW
    }
    default:
      return RAW
  }
}

function toStruct(name: string, s: JSONSchemaProps, out: Map<string, Struct>, root: boolean): Struct {
  const required = new Set(s.required ?? [])
  const fields: Record<string, Field> = root
    ? { ...typeMetaFields(), metadata: { n: 1, type: { t: 'ref', name: OBJECT_META }, doc: 'Standard object metadata.' } }
    : {}
  for (const [k, p] of Object.entries(s.properties ?? {})) {
    if (root && (k === 'apiVersion' || k === 'kind' || k === 'metadata')) continue
    fields[k] = {
      n: 0,
      type: fieldType(p, `${name}.${k}`, out),
      doc: p.description ?? '',
      ...(required.has(k) ? { required: true } : {}),
      ...(p.default !== undefined ? { default: p.default } : {}),
    }
  }
  return { name, doc: s.description ?? '', fields }
}

/** Structs for a version's schema, the kind's struct named `kindName`; a Lookup that also finds ours. */
export function structsForSchema(kindName: string, schema: JSONSchemaProps, gvk: { group: string; version: string; kind: string }): Lookup {
  const out = new Map<string, Struct>()
  out.set(kindName, { ...toStruct(kindName, schema, out, true), gvk })
  return (name) => out.get(name) ?? structByName(name)
}
