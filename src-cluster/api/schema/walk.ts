// Small helpers shared by everything that walks objects with the schema: pruning, defaulting,
// validation, the protobuf codec and the OpenAPI generator. They take a `Lookup` so tests can
// pass fixture structs instead of the registry.
import type { FieldType, Struct } from './dsl'
import { structByName } from './index'

/** Finds a struct by its definition name; throws when it does not exist. */
export type Lookup = (name: string) => Struct

export const registryLookup: Lookup = (name) => structByName(name)

/** A lookup given by name resolves through the registry; a Struct passed directly is used as-is. */
export function resolveStruct(struct: Struct | string, lookup: Lookup = registryLookup): Struct {
  return typeof struct === 'string' ? lookup(struct) : struct
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** `a.b`, with the root path "" producing just the key. */
export function joinPath(base: string, key: string): string {
  return base ? `${base}.${key}` : key
}
export function indexPath(base: string, index: number): string {
  return `${base}[${index}]`
}
export function keyPath(base: string, key: string): string {
  return `${base}[${key}]`
}

/** JSON-schema-ish type word for a field type, used in error messages ("integer", "object", ...). */
export function jsonTypeWord(fieldType: FieldType): string {
  switch (fieldType.t) {
    case 'ref':
    case 'map':
      return 'object'
    case 'list':
      return 'array'
    case 'bool':
      return 'boolean'
    case 'int32':
    case 'int64':
      return 'integer'
    case 'double':
      return 'number'
    case 'raw':
      return 'object'
    default:
      return 'string'
  }
}

/** Type word of a JSON value as the OpenAPI validator names it. */
export function valueTypeWord(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'array'
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number'
  return typeof value
}

/** Deep copy of JSON data (objects we handle are plain JSON). */
export function cloneJson<T>(value: T): T {
  return value === undefined ? value : (JSON.parse(JSON.stringify(value)) as T)
}

/** Every struct name reachable from `root` (including root), following refs through lists and maps. */
export function reachableStructs(roots: readonly string[], lookup: Lookup = registryLookup): string[] {
  const seen = new Set<string>()
  const stack = [...roots]
  while (stack.length) {
    const name = stack.pop() as string
    if (seen.has(name)) continue
    seen.add(name)
    for (const field of Object.values(lookup(name).fields)) {
      const r = refOf(field.type)
      if (r && !seen.has(r)) stack.push(r)
    }
  }
  return [...seen]
}

/** Struct name a field type ultimately refers to (through lists/maps), if any. */
export function refOf(fieldType: FieldType): string | undefined {
  if (fieldType.t === 'ref') return fieldType.name
  if (fieldType.t === 'list' || fieldType.t === 'map') return refOf(fieldType.of)
  return undefined
}
