// Structural check of a decoded body against the schema: prunes fields the schema does not know
// (reporting each path so strict field validation can reject them), checks JSON types, enums,
// quantities and times. Runs before defaulting and semantic validation.
import type { FieldType, Struct } from '../schema/dsl'
import { fieldErr, type FieldError } from '../errors'
import type { KubeObject } from '../object'
import { indexPath, isPlainObject, joinPath, keyPath, registryLookup, resolveStruct, valueTypeWord, type Lookup } from '../schema/walk'
import { canonicalQuantity, isQuantity } from '../quantity'
import { isRFC3339 } from './time'

export interface StructureResult {
  /** The input without unknown fields and without nulls: the input itself when it had none (and nothing else changed), else a copy. */
  object: KubeObject
  /** Paths of pruned fields, e.g. "spec.template.spec.containers[0].imagePullPolcy". */
  unknownFields: string[]
  errors: FieldError[]
}

interface Ctx {
  lookup: Lookup
  unknown: string[]
  errors: FieldError[]
}

export function checkStructure(obj: unknown, struct: string | Struct, lookup: Lookup = registryLookup): StructureResult {
  const ctx: Ctx = { lookup, unknown: [], errors: [] }
  const s = resolveStruct(struct, lookup)
  if (!isPlainObject(obj)) {
    ctx.errors.push(fieldErr.typeInvalid('<root>', obj, `body must be of type object: "${valueTypeWord(obj)}"`))
    return { object: {}, unknownFields: [], errors: ctx.errors }
  }
  const object = checkStruct(obj, s, '', ctx)
  return { object, unknownFields: ctx.unknown, errors: ctx.errors }
}

/**
 * The checked struct: `obj` itself when nothing in it was pruned or changed (the walk copies
 * only what differs: most bodies are clean, and every write is checked), else a copy.
 */
function checkStruct(obj: Record<string, unknown>, s: Struct, path: string, ctx: Ctx): Record<string, unknown> {
  let out: Record<string, unknown> | undefined
  const keys = Object.keys(obj)
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!
    const value = obj[key]
    let checked: unknown
    // Own fields only: structs built elsewhere (custom resources) may have a prototype.
    const field = Object.hasOwn(s.fields, key) ? s.fields[key] : undefined
    if (!field) ctx.unknown.push(joinPath(path, key))
    // JSON null means "unset" to the Go decoder: drop it (e.g. creationTimestamp: null).
    else if (value !== null) {
      checked = checkValue(value, field.type, joinPath(path, key), ctx)
      // Go's omitempty drops empty lists and maps: store and serve them as absent, as upstream does.
      if (!field.required && isEmptyCollection(checked, field.type.t)) checked = undefined
    }
    if (out === undefined) {
      if (checked !== undefined && checked === value) continue
      out = {}
      for (let j = 0; j < i; j++) out[keys[j]!] = obj[keys[j]!]
    }
    if (checked !== undefined) out[key] = checked
  }
  return out ?? obj
}

function isEmptyCollection(v: unknown, kind: FieldType['t']): boolean {
  if (kind === 'list') return Array.isArray(v) && v.length === 0
  if (kind === 'map') return isPlainObject(v) && Object.keys(v).length === 0
  return false
}

function typeError(ctx: Ctx, path: string, value: unknown, want: string): undefined {
  ctx.errors.push(fieldErr.typeInvalid(path, value, `${path} in body must be of type ${want}: "${valueTypeWord(value)}"`))
  return undefined
}

/** Returns the checked (possibly pruned) value, or undefined when the value was rejected. */
function checkValue(value: unknown, t: FieldType, path: string, ctx: Ctx): unknown {
  switch (t.t) {
    case 'raw':
      return value
    case 'ref': {
      if (!isPlainObject(value)) return typeError(ctx, path, value, 'object')
      return checkStruct(value, ctx.lookup(t.name), path, ctx)
    }
    case 'list': {
      if (!Array.isArray(value)) return typeError(ctx, path, value, 'array')
      // Copied only from the first item that differs (see checkStruct).
      let out: unknown[] | undefined
      for (let i = 0; i < value.length; i++) {
        const item: unknown = value[i]
        // Go decodes a null list element as the zero value.
        const c = item === null ? (t.of.t === 'ref' || t.of.t === 'map' ? {} : null) : checkValue(item, t.of, indexPath(path, i), ctx)
        if (out === undefined) {
          if (c !== undefined && c === item) continue
          out = value.slice(0, i)
        }
        if (c !== undefined) out.push(c)
      }
      return out ?? value
    }
    case 'map': {
      if (!isPlainObject(value)) return typeError(ctx, path, value, 'object')
      // Copied only from the first entry that differs (see checkStruct).
      let out: Record<string, unknown> | undefined
      const keys = Object.keys(value)
      for (let i = 0; i < keys.length; i++) {
        const k = keys[i]!
        const v = value[k]
        const c = v === null ? (t.of.t === 'string' ? '' : v) : checkValue(v, t.of, keyPath(path, k), ctx)
        if (out === undefined) {
          if (c !== undefined && c === v) continue
          out = {}
          for (let j = 0; j < i; j++) out[keys[j]!] = value[keys[j]!]
        }
        if (c !== undefined) out[k] = c
      }
      return out ?? value
    }
    case 'bool':
      return typeof value === 'boolean' ? value : typeError(ctx, path, value, 'boolean')
    case 'int32':
    case 'int64': {
      if (typeof value !== 'number' || !Number.isInteger(value)) return typeError(ctx, path, value, 'integer')
      if (t.t === 'int32' && (value > 2147483647 || value < -2147483648)) {
        ctx.errors.push(fieldErr.invalid(path, value, 'must fit in a 32-bit signed integer'))
        return undefined
      }
      return value
    }
    case 'double':
      return typeof value === 'number' ? value : typeError(ctx, path, value, 'number')
    case 'intOrString':
      if (typeof value === 'string') return value
      if (typeof value === 'number' && Number.isInteger(value)) return value
      return typeError(ctx, path, value, 'integer-or-string')
    case 'quantity': {
      // Go's Quantity also accepts a JSON number; it is served back as a string.
      const s = typeof value === 'number' ? String(value) : value
      if (typeof s !== 'string') return typeError(ctx, path, value, 'string')
      if (!isQuantity(s)) {
        ctx.errors.push(fieldErr.invalid(path, value, "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"))
        return undefined
      }
      // Stored and served in canonical form, as upstream's Quantity serializes (1024Mi → 1Gi, 0.5 → 500m).
      return canonicalQuantity(s)
    }
    case 'time':
    case 'microTime':
      if (typeof value !== 'string') return typeError(ctx, path, value, 'string')
      if (!isRFC3339(value)) {
        ctx.errors.push(fieldErr.invalid(path, value, `${path} in body must be of type date-time: "${value}"`))
        return undefined
      }
      return value
    case 'duration':
      return typeof value === 'string' ? value : typeError(ctx, path, value, 'string')
    case 'bytes': {
      if (typeof value !== 'string') return typeError(ctx, path, value, 'string')
      if (!/^[A-Za-z0-9+/]*={0,2}$/.test(value) || value.length % 4 !== 0) {
        ctx.errors.push(fieldErr.invalid(path, '<secret contents redacted>', 'illegal base64 data'))
        return undefined
      }
      return value
    }
    case 'string': {
      if (typeof value !== 'string') return typeError(ctx, path, value, 'string')
      if (t.enum && !t.enum.includes(value)) {
        ctx.errors.push(fieldErr.notSupported(path, value, t.enum))
        return value
      }
      return value
    }
  }
}
