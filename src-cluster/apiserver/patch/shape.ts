// Walks the schema alongside the data: what kind of node a key holds, and how its lists merge.
// Anything the schema does not describe (unknown fields, `raw` values) is "free": it merges
// like a JSON merge patch, and the server's structural validation deals with it afterwards.
import type { FieldType, ListType, Struct } from '../../api/schema/dsl'

export type Lookup = (name: string) => Struct

export type Shape =
  | { readonly kind: 'struct'; readonly struct: Struct }
  | { readonly kind: 'map'; readonly of: FieldType }
  | { readonly kind: 'list'; readonly list: ListType }
  | { readonly kind: 'scalar' }
  | { readonly kind: 'free' }

export const FREE: Shape = { kind: 'free' }

/**
 * Shapes already made, per lookup and field type: the field manager and patches walk every
 * field of every written object, and a lookup answers the same struct for a name for as long as
 * it lives (the built-in registry; a custom resource's is made per write).
 */
const shapes = new WeakMap<Lookup, WeakMap<FieldType, Shape>>()

export function shapeOf(fieldType: FieldType, lookup: Lookup): Shape {
  let known = shapes.get(lookup)
  if (known === undefined) shapes.set(lookup, (known = new WeakMap()))
  let shape = known.get(fieldType)
  if (shape === undefined) known.set(fieldType, (shape = makeShape(fieldType, lookup)))
  return shape
}

function makeShape(fieldType: FieldType, lookup: Lookup): Shape {
  switch (fieldType.t) {
    case 'ref':
      return { kind: 'struct', struct: lookup(fieldType.name) }
    case 'map':
      return { kind: 'map', of: fieldType.of }
    case 'list':
      return { kind: 'list', list: fieldType }
    case 'raw':
      return FREE
    default:
      return { kind: 'scalar' }
  }
}

/** The shape of the value under `key` in an object of shape `parent`. */
export function childShape(parent: Shape, key: string, lookup: Lookup): Shape {
  if (parent.kind === 'struct') {
    const field = parent.struct.fields[key]
    return field ? shapeOf(field.type, lookup) : FREE
  }
  if (parent.kind === 'map') return shapeOf(parent.of, lookup)
  return FREE
}

/** The shape of each item of a list of shape `parent` (free when the schema says nothing). */
export function itemShape(parent: Shape, lookup: Lookup): Shape {
  return parent.kind === 'list' ? shapeOf(parent.list.of, lookup) : FREE
}

/** Strategic merge: does this list merge (by key, or as a set of scalars) instead of being replaced? */
export function listMerges(shape: Shape): boolean {
  return shape.kind === 'list' && (shape.list.strategy === 'merge' || shape.list.strategy === 'merge,retainKeys')
}

export function mergeKeyOf(shape: Shape): string {
  return shape.kind === 'list' ? (shape.list.mergeKey ?? '') : ''
}
