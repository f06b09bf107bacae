// The one schema per type that validation, defaulting, pruning, strategic merge patch, the
// OpenAPI documents and the protobuf codec are all derived from. Field names and protobuf
// field numbers are facts of the Kubernetes API; the descriptions are our own words.

/** Scalar and special wire types. Special ones have their own protobuf and JSON encodings. */
export type ScalarKind =
  | 'string'
  | 'bool'
  | 'int32'
  | 'int64'
  | 'double'
  | 'bytes' // JSON: base64 string; protobuf: bytes
  | 'quantity' // JSON: string like "100m"; protobuf: message Quantity { string string = 1 }
  | 'intOrString' // JSON: number or string; protobuf: IntOrString { type=1, intVal=2, strVal=3 }
  | 'time' // JSON: RFC 3339 seconds; protobuf: Time { seconds=1, nanos=2 }
  | 'microTime' // JSON: RFC 3339 microseconds; protobuf: MicroTime { seconds=1, nanos=2 }
  | 'duration' // JSON: Go duration string "1h2m"; protobuf: Duration { duration=1 (ns) }
  | 'raw' // any JSON value (runtime.RawExtension / JSON); protobuf: RawExtension { raw=1 }

export interface ScalarType {
  readonly t: ScalarKind
  /** Allowed values for enum-like strings (validation answers 422 "Unsupported value"). */
  readonly enum?: readonly string[]
}
export interface RefType {
  readonly t: 'ref'
  /** Name of another struct, e.g. "io.k8s.api.core.v1.Container". */
  readonly name: string
}
export interface ListType {
  readonly t: 'list'
  readonly of: FieldType
  /** Strategic merge: list of objects merged by this key (x-kubernetes-patch-merge-key). */
  readonly mergeKey?: string
  /** Strategic merge: "merge" (by mergeKey or, for scalars, as a set), "retainKeys", "merge,retainKeys"; default replace. */
  readonly strategy?: 'merge' | 'retainKeys' | 'merge,retainKeys'
  /** x-kubernetes-list-type. */
  readonly listType?: 'atomic' | 'map' | 'set'
  /** x-kubernetes-list-map-keys (for listType "map"). */
  readonly mapKeys?: readonly string[]
}
export interface MapType {
  readonly t: 'map'
  /** Value type; keys are always strings. */
  readonly of: FieldType
}
export type FieldType = ScalarType | RefType | ListType | MapType

export interface Field {
  /** Protobuf field number; 0 for fields that are not on the protobuf wire (apiVersion, kind). */
  readonly n: number
  readonly type: FieldType
  /** One line, our own words. */
  readonly doc: string
  /** 422 "Required value" when absent (after defaulting). */
  readonly required?: boolean
  /** Go pointer field: an explicit zero/false/"" is meaningful and kept when decoding protobuf. */
  readonly ptr?: boolean
  /** Value filled in by defaulting when the field is absent. */
  readonly default?: unknown
  /** Strategic merge on a map/struct field: "retainKeys" (e.g. volume sources, deployment strategy). */
  readonly strategy?: 'retainKeys'
}

export interface Struct {
  /** OpenAPI definition name, e.g. "io.k8s.api.core.v1.Container". */
  readonly name: string
  readonly doc: string
  readonly fields: Readonly<Record<string, Field>>
  /** For top-level kinds: the group/version/kind this struct is served as. */
  readonly gvk?: { readonly group: string; readonly version: string; readonly kind: string }
  /** Fields that are unions with a discriminator, or "exactly one of" groups (validated as such). */
  readonly oneOf?: readonly (readonly string[])[]
}

// ---- Constructors used by the schema data modules. They keep the data terse and typed. ----

export const string: ScalarType = { t: 'string' }
export const bool: ScalarType = { t: 'bool' }
export const int32: ScalarType = { t: 'int32' }
export const int64: ScalarType = { t: 'int64' }
export const double: ScalarType = { t: 'double' }
export const bytes: ScalarType = { t: 'bytes' }
export const quantity: ScalarType = { t: 'quantity' }
export const intOrString: ScalarType = { t: 'intOrString' }
export const time: ScalarType = { t: 'time' }
export const microTime: ScalarType = { t: 'microTime' }
export const duration: ScalarType = { t: 'duration' }
export const raw: ScalarType = { t: 'raw' }

export function enumOf(...values: string[]): ScalarType {
  return { t: 'string', enum: values }
}
export function ref(name: string): RefType {
  return { t: 'ref', name }
}
export function list(of: FieldType, opts: Omit<ListType, 't' | 'of'> = {}): ListType {
  return { t: 'list', of, ...opts }
}
/** A list of objects merged by `key` in strategic merge patch (and listType map). */
export function mergeList(of: FieldType, key: string): ListType {
  return { t: 'list', of, mergeKey: key, strategy: 'merge', listType: 'map', mapKeys: [key] }
}
export function map(of: FieldType): MapType {
  return { t: 'map', of }
}

type FieldOpts = Omit<Field, 'n' | 'type' | 'doc'>
/** f(protobufNumber, type, doc, opts) */
export function f(count: number, type: FieldType, doc: string, opts: FieldOpts = {}): Field {
  return { n: count, type, doc, ...opts }
}

export function struct(name: string, doc: string, fields: Record<string, Field>, extra: Pick<Struct, 'gvk' | 'oneOf'> = {}): Struct {
  // Without a prototype, so that a field named like an Object method ("constructor",
  // "toString", "__proto__") in a request is simply unknown, never a function found by lookup.
  return { name, doc, fields: Object.assign(Object.create(null) as Record<string, Field>, fields), ...extra }
}

/** Common names, so data modules do not repeat long strings. */
export const META = 'io.k8s.apimachinery.pkg.apis.meta.v1.'
export const OBJECT_META = META + 'ObjectMeta'
export const LIST_META = META + 'ListMeta'
export const LABEL_SELECTOR = META + 'LabelSelector'

/** apiVersion and kind, present on every top-level kind and list (not on the protobuf wire). */
export function typeMetaFields(): Record<string, Field> {
  return {
    apiVersion: f(0, string, 'Versioned schema of this representation of the object.'),
    kind: f(0, string, 'REST resource kind this object represents.'),
  }
}

/**
 * A top-level kind: apiVersion, kind, metadata (field 1) plus the given fields.
 * Most kinds use spec = 2 and status = 3; data modules pass the exact numbers.
 */
export function kind(group: string, version: string, kindName: string, name: string, doc: string, fields: Record<string, Field>): Struct {
  return struct(
    name,
    doc,
    {
      ...typeMetaFields(),
      metadata: f(1, ref(OBJECT_META), 'Standard object metadata: name, namespace, labels, annotations, ...'),
      ...fields,
    },
    { gvk: { group, version, kind: kindName } },
  )
}
