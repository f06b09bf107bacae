// Defaults declared in the schema (`default:` on a field), applied recursively but only inside
// objects that are present: an absent optional struct stays absent.
//
// This runs on every write, so each struct gets a plan once (per lookup): the fields that have a
// default or lead to a struct that has one somewhere below. A pod's spec has dozens of fields
// and most lead to no default at all.
import type { Field, FieldType, Struct } from '../schema/dsl'
import { cloneJson, isPlainObject, reachableStructs, refOf, registryLookup, resolveStruct, type Lookup } from '../schema/walk'

export function applySchemaDefaults(obj: Record<string, unknown>, struct: string | Struct, lookup: Lookup = registryLookup): void {
  walkStruct(obj, resolveStruct(struct, lookup), lookup)
}

interface Plans {
  readonly structs: WeakMap<Struct, readonly (readonly [string, Field])[]>
  /** Whether a default is declared in the named struct or any struct reachable from it. */
  readonly reaches: Map<string, boolean>
}

const plansByLookup = new WeakMap<Lookup, Plans>()

function plansFor(lookup: Lookup): Plans {
  let p = plansByLookup.get(lookup)
  if (!p) plansByLookup.set(lookup, (p = { structs: new WeakMap(), reaches: new Map() }))
  return p
}

function typeReachesDefault(t: FieldType, lookup: Lookup, plans: Plans): boolean {
  const name = refOf(t)
  if (name === undefined) return false
  let r = plans.reaches.get(name)
  if (r === undefined) {
    try {
      r = reachableStructs([name], lookup).some((n) => Object.values(lookup(n).fields).some((f) => f.default !== undefined))
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
    plan = Object.entries(s.fields).filter(([, f]) => f.default !== undefined || typeReachesDefault(f.type, lookup, plans))
    plans.structs.set(s, plan)
  }
  return plan
}

function walkStruct(obj: Record<string, unknown>, s: Struct, lookup: Lookup): void {
  for (const [key, field] of planOf(s, lookup)) {
    if ((obj[key] === undefined || obj[key] === null) && field.default !== undefined) obj[key] = cloneJson(field.default)
    const v = obj[key]
    if (v !== undefined && v !== null) walkValue(v, field.type, lookup)
  }
}

function walkValue(v: unknown, t: FieldType, lookup: Lookup): void {
  if (t.t === 'ref' && isPlainObject(v)) walkStruct(v, lookup(t.name), lookup)
  else if (t.t === 'list' && Array.isArray(v)) for (const item of v) walkValue(item, t.of, lookup)
  else if (t.t === 'map' && isPlainObject(v)) for (const item of Object.values(v)) walkValue(item, t.of, lookup)
}
