// "Required value" for every schema field marked required, inside every object that is present.
//
// This runs on every write, so each struct gets a plan once (per lookup): the fields that are
// required or lead to a struct with a required field somewhere below; the others are not visited.
import type { Field, FieldType, Struct } from '../schema/dsl'
import { fieldErr, type FieldError } from '../errors'
import { indexPath, isPlainObject, joinPath, keyPath, reachableStructs, refOf, type Lookup } from '../schema/walk'

/**
 * `skipInside`: top-level fields whose content is not walked (their own presence is still
 * checked), for callers that drop what would be found there anyway.
 */
export function checkRequired(obj: Record<string, unknown>, struct: Struct, lookup: Lookup, path = '', skipInside?: ReadonlySet<string>): FieldError[] {
  const errs: FieldError[] = []
  walkStruct(obj, struct, lookup, path, errs, skipInside)
  return errs
}

interface Plans {
  readonly structs: WeakMap<Struct, readonly (readonly [string, Field])[]>
  /** Whether a required field is declared in the named struct or any struct reachable from it. */
  readonly reaches: Map<string, boolean>
}

const plansByLookup = new WeakMap<Lookup, Plans>()

function plansFor(lookup: Lookup): Plans {
  let p = plansByLookup.get(lookup)
  if (!p) plansByLookup.set(lookup, (p = { structs: new WeakMap(), reaches: new Map() }))
  return p
}

function typeReachesRequired(t: FieldType, lookup: Lookup, plans: Plans): boolean {
  const name = refOf(t)
  if (name === undefined) return false
  let r = plans.reaches.get(name)
  if (r === undefined) {
    try {
      r = reachableStructs([name], lookup).some((n) => Object.values(lookup(n).fields).some((f) => f.required))
    } catch {
      r = true // an unknown struct somewhere below: walk it as before (and fail only if a value is there)
    }
    plans.reaches.set(name, r)
  }
  return r
}

function planOf(s: Struct, lookup: Lookup): readonly (readonly [string, Field])[] {
  const plans = plansFor(lookup)
  let plan = plans.structs.get(s)
  if (!plan) {
    plan = Object.entries(s.fields).filter(([, f]) => f.required || typeReachesRequired(f.type, lookup, plans))
    plans.structs.set(s, plan)
  }
  return plan
}

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
