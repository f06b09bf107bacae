// "Required value" for every schema field marked required, inside every object that is present.
import type { FieldType, Struct } from '../schema/dsl'
import { fieldErr, type FieldError } from '../errors'
import { indexPath, isPlainObject, joinPath, keyPath, type Lookup } from '../schema/walk'

export function checkRequired(obj: Record<string, unknown>, struct: Struct, lookup: Lookup, path = ''): FieldError[] {
  const errs: FieldError[] = []
  walkStruct(obj, struct, lookup, path, errs)
  return errs
}

function walkStruct(obj: Record<string, unknown>, s: Struct, lookup: Lookup, path: string, errs: FieldError[]): void {
  for (const [key, field] of Object.entries(s.fields)) {
    const v = obj[key]
    const p = joinPath(path, key)
    // Go cannot tell an empty string from a missing one.
    if (field.required && (v === undefined || v === null || (v === '' && field.type.t === 'string'))) errs.push(fieldErr.required(p))
    if (v !== undefined && v !== null) walkValue(v, field.type, lookup, p, errs)
  }
}

function walkValue(v: unknown, t: FieldType, lookup: Lookup, path: string, errs: FieldError[]): void {
  if (t.t === 'ref' && isPlainObject(v)) walkStruct(v, lookup(t.name), lookup, path, errs)
  else if (t.t === 'list' && Array.isArray(v)) v.forEach((x, i) => walkValue(x, t.of, lookup, indexPath(path, i), errs))
  else if (t.t === 'map' && isPlainObject(v)) for (const [k, x] of Object.entries(v)) walkValue(x, t.of, lookup, keyPath(path, k), errs)
}
