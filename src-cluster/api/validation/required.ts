// "Required value" for every schema field marked required, inside every object that is present.
//
// This runs on every write, so only each struct's plan is visited: the fields that are required
// or lead to a struct with a required field somewhere below (schema/field-plan.ts).
import type { FieldType, Struct } from '../schema/dsl'
import { fieldErr, type FieldError } from '../errors'
import { fieldPlanner } from '../schema/field-plan'
import { indexPath, isPlainObject, joinPath, keyPath, type Lookup } from '../schema/walk'

/**
 * `skipInside`: top-level fields whose content is not walked (their own presence is still
 * checked), for callers that drop what would be found there anyway.
 */
export function checkRequired(obj: Record<string, unknown>, struct: Struct, lookup: Lookup, path = '', skipInside?: ReadonlySet<string>): FieldError[] {
  const errs: FieldError[] = []
  walkStruct(obj, struct, lookup, path, errs, skipInside)
  return errs
}

const planOf = fieldPlanner((field) => field.required === true)

function walkStruct(obj: Record<string, unknown>, s: Struct, lookup: Lookup, path: string, errs: FieldError[], skipInside?: ReadonlySet<string>): void {
  for (const [key, field] of planOf(s, lookup)) {
    const v = obj[key]
    // Go cannot tell an empty string from a missing one.
    if (field.required && (v === undefined || v === null || (v === '' && field.type.t === 'string'))) errs.push(fieldErr.required(joinPath(path, key)))
    if (v !== undefined && v !== null && !skipInside?.has(key)) walkValue(v, field.type, lookup, joinPath(path, key), errs)
  }
}

function walkValue(v: unknown, t: FieldType, lookup: Lookup, path: string, errs: FieldError[]): void {
  if (t.t === 'ref' && isPlainObject(v)) walkStruct(v, lookup(t.name), lookup, path, errs)
  else if (t.t === 'list' && Array.isArray(v)) v.forEach((x, i) => walkValue(x, t.of, lookup, indexPath(path, i), errs))
  else if (t.t === 'map' && isPlainObject(v)) for (const [k, x] of Object.entries(v)) walkValue(x, t.of, lookup, keyPath(path, k), errs)
}
