// components.schemas of an OpenAPI v3 document, generated from the schema structs. Refs use
// upstream's `{"allOf":[{"$ref": ...}]}` form so a description can sit next to them.
import type { Field, FieldType, ScalarKind, Struct } from '../schema/dsl'

export type JsonSchema = Record<string, unknown>

/** Named components for the special scalar kinds, as upstream names them. */
export const SPECIAL_COMPONENTS: Partial<Record<ScalarKind, [string, JsonSchema]>> = {
  quantity: [
    'io.k8s.apimachinery.pkg.api.resource.Quantity',
    {
      description: 'A fixed-point number with an optional unit suffix: "100m" CPU, "128Mi" memory, "1.5", "2e3".',
      oneOf: [{ type: 'string' }, { type: 'number' }],
    },
  ],
  intOrString: [
    'io.k8s.apimachinery.pkg.util.intstr.IntOrString',
    // Like upstream v3: no top-level type, so kubectl explain shows <IntOrString>.
    {
      description: 'Either an integer or a string, e.g. a port number or a port name, 1 or "25%".',
      oneOf: [{ type: 'integer' }, { type: 'string' }],
      format: 'int-or-string',
      'x-kubernetes-int-or-string': true,
    },
  ],
  time: [
    'io.k8s.apimachinery.pkg.apis.meta.v1.Time',
    { description: 'A point in time in RFC 3339 form with seconds precision, always UTC.', type: 'string', format: 'date-time' },
  ],
  microTime: [
    'io.k8s.apimachinery.pkg.apis.meta.v1.MicroTime',
    { description: 'A point in time in RFC 3339 form with microseconds precision.', type: 'string', format: 'date-time' },
  ],
  duration: ['io.k8s.apimachinery.pkg.apis.meta.v1.Duration', { description: 'A Go duration string such as "30s" or "1h2m".', type: 'string' }],
  raw: [
    'io.k8s.apimachinery.pkg.runtime.RawExtension',
    { description: 'An embedded object of any shape, kept as written.', type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
  ],
}

export function refSchema(name: string): JsonSchema {
  return { allOf: [{ $ref: `#/components/schemas/${name}` }] }
}

/** Schema of a value of type t (no description). Registers special components it uses. */
export function typeSchema(fieldType: FieldType, used: Set<string>): JsonSchema {
  switch (fieldType.t) {
    case 'ref':
      return refSchema(fieldType.name)
    case 'list': {
      const s: JsonSchema = { type: 'array', items: itemSchema(fieldType.of, used) }
      if (fieldType.listType) s['x-kubernetes-list-type'] = fieldType.listType
      if (fieldType.mapKeys) s['x-kubernetes-list-map-keys'] = [...fieldType.mapKeys]
      if (fieldType.mergeKey) s['x-kubernetes-patch-merge-key'] = fieldType.mergeKey
      if (fieldType.strategy) s['x-kubernetes-patch-strategy'] = fieldType.strategy
      return s
    }
    case 'map':
      return { type: 'object', additionalProperties: itemSchema(fieldType.of, used) }
    case 'string':
      return fieldType.enum ? { type: 'string', enum: [...fieldType.enum] } : { type: 'string' }
    case 'bool':
      return { type: 'boolean' }
    case 'int32':
      return { type: 'integer', format: 'int32' }
    case 'int64':
      return { type: 'integer', format: 'int64' }
    case 'double':
      return { type: 'number', format: 'double' }
    case 'bytes':
      return { type: 'string', format: 'byte' }
    default: {
      const special = SPECIAL_COMPONENTS[fieldType.t]
      if (!special) throw new Error(`openapi: no schema for type ${fieldType.t}`)
      used.add(fieldType.t)
      return refSchema(special[0])
    }
  }
}

/** Elements of lists and maps carry their zero value as default, like upstream. */
function itemSchema(t: FieldType, used: Set<string>): JsonSchema {
  const s = typeSchema(t, used)
  if (t.t === 'ref') return { ...s, default: {} }
  if (t.t === 'string' && !t.enum) return { ...s, default: '' }
  return s
}

export function fieldSchema(field: Field, used: Set<string>): JsonSchema {
  const s: JsonSchema = { ...typeSchema(field.type, used), description: field.doc }
  if (field.default !== undefined) s.default = field.default
  if (field.strategy) s['x-kubernetes-patch-strategy'] = field.strategy
  return s
}

export function structSchema(st: Struct, used: Set<string>): JsonSchema {
  const properties: Record<string, JsonSchema> = {}
  const required: string[] = []
  for (const [name, field] of Object.entries(st.fields)) {
    properties[name] = fieldSchema(field, used)
    if (field.required) required.push(name)
  }
  const s: JsonSchema = { description: st.doc, type: 'object', properties }
  if (required.length) s.required = required
  if (st.gvk) s['x-kubernetes-group-version-kind'] = [{ group: st.gvk.group, kind: st.gvk.kind, version: st.gvk.version }]
  return s
}
