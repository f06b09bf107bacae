// Which fields of a struct a walk over an object must visit: the fields a property marks (a
// default, required) and those leading to a struct with such a field somewhere below. Writes walk
// every object they store, and most fields of a pod's spec lead to no mark at all, so each struct
// is planned once per lookup and the walk visits only its plan.
import type { Field, FieldType, Struct } from './dsl'
import { reachableStructs, refOf, type Lookup } from './walk'

/** The fields to visit, in declaration order. */
export type FieldPlan = readonly (readonly [string, Field])[]

interface Plans {
  readonly structs: WeakMap<Struct, FieldPlan>
  /** Whether a marked field is declared in the named struct or any struct reachable from it. */
  readonly reaches: Map<string, boolean>
}

/** `planOf(struct, lookup)` for the fields `marked` picks. */
export function fieldPlanner(marked: (field: Field) => boolean): (struct: Struct, lookup: Lookup) => FieldPlan {
  const plansByLookup = new WeakMap<Lookup, Plans>()

  function reaches(type: FieldType, lookup: Lookup, plans: Plans): boolean {
    const name = refOf(type)
    if (name === undefined) return false
    let found = plans.reaches.get(name)
    if (found === undefined) {
      try {
        found = reachableStructs([name], lookup).some((n) => Object.values(lookup(n).fields).some(marked))
      } catch {
        found = true // an unknown struct somewhere below: walk it (and fail only if a value is there)
      }
      plans.reaches.set(name, found)
    }
    return found
  }

  return (struct, lookup) => {
    let plans = plansByLookup.get(lookup)
    if (!plans) plansByLookup.set(lookup, (plans = { structs: new WeakMap(), reaches: new Map() }))
    let plan = plans.structs.get(struct)
    if (!plan) {
      const p = plans
      plan = Object.entries(struct.fields).filter(([, field]) => marked(field) || reaches(field.type, lookup, p))
      plans.structs.set(struct, plan)
    }
    return plan
  }
}
