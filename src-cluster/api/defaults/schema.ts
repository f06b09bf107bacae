// Defaults declared in the schema (`default:` on a field), applied recursively but only inside
// objects that are present: an absent optional struct stays absent.
//
// This runs on every write, so only each struct's plan is visited: the fields that have a
// default or lead to a struct that has one somewhere below (schema/field-plan.ts).
import type { FieldType, Struct } from '../schema/dsl'
import { fieldPlanner } from '../schema/field-plan'
import { cloneJson, isPlainObject, registryLookup, resolveStruct, type Lookup } from '../schema/walk'

export function applySchemaDefaults(obj: Record<string, unknown>, struct: string | Struct, lookup: Lookup = registryLookup): void {
  walkStruct(obj, resolveStruct(struct, lookup), lookup)
}

const planOf = fieldPlanner((field) => field.default !== undefined)

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
