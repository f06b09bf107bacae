// The `<Kind>List` struct of a top-level kind: what list responses carry and what the OpenAPI
// documents describe (upstream generates one per kind; our schema data only defines the kinds).
import { f, LIST_META, list, ref, struct, typeMetaFields, type Struct } from './dsl'

const cache = new WeakMap<Struct, Struct>()

export function listStructFor(kindStruct: Struct): Struct {
  const hit = cache.get(kindStruct)
  if (hit) return hit
  const kindName = kindStruct.gvk?.kind ?? kindStruct.name.slice(kindStruct.name.lastIndexOf('.') + 1)
  const s = struct(
    `${kindStruct.name}List`,
    `A list of ${kindName} objects.`,
    {
      ...typeMetaFields(),
      metadata: f(1, ref(LIST_META), 'Standard list metadata: resourceVersion and continue token.'),
      items: f(2, list(ref(kindStruct.name)), `The ${kindName} objects in this list.`, { required: true }),
    },
    kindStruct.gvk ? { gvk: { ...kindStruct.gvk, kind: `${kindName}List` } } : {},
  )
  cache.set(kindStruct, s)
  return s
}
