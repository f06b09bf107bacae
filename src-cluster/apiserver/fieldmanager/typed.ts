// Field sets of objects, walked with the schema: what fields a value sets (for an applied
// configuration), what changed between two objects (for updates), and removing fields an
// applier gave up. Lists follow x-kubernetes-list-type, or their strategic merge tags:
// keyed lists give `k:{..}` items, sets `v:..` items, everything else is atomic (one leaf).
import { isDeepStrictEqual } from 'node:util'
import { isMap, type JsonMap } from '../patch/body'
import { isSet, listKeys } from '../patch/apply'
import { childShape, itemShape, type Lookup, type Shape } from '../patch/shape'
import { FieldSet } from './fieldset'

/** Structs upstream marks `+structType=atomic`: owned and replaced as one value. */
const ATOMIC_STRUCTS = new Set([
  'io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelector',
  'io.k8s.apimachinery.pkg.apis.meta.v1.OwnerReference',
  'io.k8s.api.core.v1.NodeSelector',
  'io.k8s.api.core.v1.NodeSelectorTerm',
  'io.k8s.api.core.v1.ObjectReference',
  'io.k8s.api.core.v1.LocalObjectReference',
  'io.k8s.api.core.v1.TypedLocalObjectReference',
  'io.k8s.api.core.v1.SecretKeySelector',
  'io.k8s.api.core.v1.ConfigMapKeySelector',
  'io.k8s.api.core.v1.ObjectFieldSelector',
  'io.k8s.api.core.v1.ResourceFieldSelector',
])

type NodeKind = 'atomic' | 'granular' | 'keyed' | 'set'

function kindOf(shape: Shape, value: unknown, other?: unknown): NodeKind {
  switch (shape.kind) {
    case 'struct':
      return ATOMIC_STRUCTS.has(shape.struct.name) ? 'atomic' : 'granular'
    case 'map':
      return 'granular'
    case 'list':
      if (listKeys(shape)) return 'keyed'
      return isSet(shape) ? 'set' : 'atomic'
    case 'free':
      // Without a schema, objects are granular and lists atomic (as upstream's deduced schema).
      return isMap(value) || isMap(other) ? 'granular' : 'atomic'
    default:
      return 'atomic'
  }
}

/** Compact JSON with sorted keys, as FieldsV1 spells `k:` elements. */
function sortedJson(v: Record<string, unknown>): string {
  return (
    '{' +
    Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${JSON.stringify(v[k])}`)
      .join(',') +
    '}'
  )
}

/** The path element of a list item: `k:{..}` by its keys, `v:..` for sets, `i:N` otherwise. */
function itemElement(item: unknown, index: number, shape: Shape, items: Shape): string {
  const keys = listKeys(shape)
  if (keys && isMap(item)) {
    if (keys.length === 1) {
      // One key (containers by name, conditions by type): sortedJson's text without its object.
      const key = keys[0]!
      const v = item[key] ?? (items.kind === 'struct' ? items.struct.fields[key]?.default : undefined)
      return v === undefined ? 'k:{}' : `k:{${JSON.stringify(key)}:${JSON.stringify(v)}}`
    }
    const k: Record<string, unknown> = {}
    for (const key of keys) {
      // A key left out takes its schema default (container ports' protocol is TCP).
      const v = item[key] ?? (items.kind === 'struct' ? items.struct.fields[key]?.default : undefined)
      if (v !== undefined) k[key] = v
    }
    return 'k:' + sortedJson(k)
  }
  if (!keys && isSet(shape)) return 'v:' + JSON.stringify(item)
  return `i:${index}`
}

/** The fields a value sets, as structured-merge-diff's ToFieldSet computes them. */
export function fieldsOf(value: unknown, shape: Shape, lookup: Lookup): FieldSet {
  const root = new FieldSet()
  addValue(value, shape, lookup, root)
  root.self = false
  return root
}

function isEmptyContainer(v: unknown): boolean {
  if (v === null) return true
  if (Array.isArray(v)) return v.length === 0
  if (typeof v !== 'object') return false
  for (const k in v) if (Object.prototype.hasOwnProperty.call(v, k)) return false
  return true
}

function addValue(v: unknown, shape: Shape, lookup: Lookup, node: FieldSet): void {
  const kind = kindOf(shape, v)
  if (kind === 'atomic' || isEmptyContainer(v)) {
    node.self = true
    return
  }
  if (kind === 'granular') {
    if (!isMap(v)) {
      node.self = true
      return
    }
    for (const [key, cv] of Object.entries(v)) {
      const c = node.child('f:' + key)
      addValue(cv, childShape(shape, key, lookup), lookup, c)
      // Keys that are not declared struct fields (map entries) are members themselves.
      if (shape.kind !== 'struct' || !(key in shape.struct.fields)) c.self = true
    }
    return
  }
  if (!Array.isArray(v)) {
    node.self = true
    return
  }
  const items = itemShape(shape, lookup)
  v.forEach((item, i) => {
    const c = node.child(itemElement(item, i, shape, items))
    c.self = true
    if (kind === 'keyed') addValue(item, items, lookup, c)
    c.self = true
  })
}

export interface Comparison {
  readonly added: FieldSet
  readonly modified: FieldSet
  readonly removed: FieldSet
}

/** What changed from `lhs` to `rhs`: paths added, modified and removed. */
export function compare(lhs: unknown, rhs: unknown, shape: Shape, lookup: Lookup): Comparison {
  const out: Comparison = { added: new FieldSet(), modified: new FieldSet(), removed: new FieldSet() }
  cmp(lhs, rhs, shape, lookup, [], out)
  return out
}

/**
 * What a write changed from `lhs` to `rhs`: paths added or modified (one set, as the field
 * manager uses them: no union of two sets made per write) and paths removed.
 */
export function compareChanges(lhs: unknown, rhs: unknown, shape: Shape, lookup: Lookup): { readonly changed: FieldSet; readonly removed: FieldSet } {
  const changed = new FieldSet()
  const removed = new FieldSet()
  cmp(lhs, rhs, shape, lookup, [], { added: changed, modified: changed, removed })
  return { changed, removed }
}

/** Two leaves differ: primitives by value (as isDeepStrictEqual, -0 apart from 0), the rest deeply. */
function differ(l: unknown, r: unknown): boolean {
  if (typeof l !== 'object' || l === null || typeof r !== 'object' || r === null) return !Object.is(l, r)
  return l !== r && !isDeepStrictEqual(l, r)
}

function mark(out: Comparison, path: readonly string[], l: unknown, r: unknown): void {
  if (path.length === 0) return
  if (l === undefined) out.added.insert(path)
  else if (r === undefined) out.removed.insert(path)
  else if (differ(l, r)) out.modified.insert(path)
}

const hasOwn = (o: object, k: string): boolean => Object.prototype.hasOwnProperty.call(o, k)
const NO_KEYS: JsonMap = {}

function fits(kind: NodeKind, v: unknown): boolean {
  return v === undefined || v === null || (kind === 'granular' ? isMap(v) : Array.isArray(v))
}

/** A list's items by path element (the first of duplicates wins). */
function byElement(list: unknown, shape: Shape, items: Shape): Map<string, unknown> {
  const m = new Map<string, unknown>()
  if (Array.isArray(list))
    for (let i = 0; i < list.length; i++) {
      const pe = itemElement(list[i], i, shape, items)
      if (!m.has(pe)) m.set(pe, list[i])
    }
  return m
}

/** `f:KEY` strings made once per key (field names repeat on every write), up to a bound. */
const FIELD_ELEMENTS = new Map<string, string>()
const FIELD_ELEMENTS_MAX = 10_000

function fieldElement(key: string): string {
  let pe = FIELD_ELEMENTS.get(key)
  if (pe === undefined) {
    pe = 'f:' + key
    if (FIELD_ELEMENTS.size < FIELD_ELEMENTS_MAX) FIELD_ELEMENTS.set(key, pe)
  }
  return pe
}

/** `path` is the walk's own stack (pushed and popped here; FieldSet.insert copies nothing of it). */
function cmp(l: unknown, r: unknown, shape: Shape, lookup: Lookup, path: string[], out: Comparison): void {
  if (l === undefined && r === undefined) return
  const kind = kindOf(shape, l, r)
  if (kind === 'atomic') return mark(out, path, l, r)
  // A value of the wrong JSON type, or empty on both sides: compared as one leaf.
  if (!fits(kind, l) || !fits(kind, r) || ((l === undefined || isEmptyContainer(l)) && (r === undefined || isEmptyContainer(r)))) {
    return mark(out, path, l, r)
  }
  if (kind === 'granular') {
    const lm = isMap(l) ? l : NO_KEYS
    const rm = isMap(r) ? r : NO_KEYS
    for (const key of Object.keys(lm)) {
      path.push(fieldElement(key))
      cmp(lm[key], rm[key], childShape(shape, key, lookup), lookup, path, out)
      path.pop()
    }
    for (const key of Object.keys(rm)) {
      if (hasOwn(lm, key)) continue
      path.push(fieldElement(key))
      cmp(lm[key], rm[key], childShape(shape, key, lookup), lookup, path, out)
      path.pop()
    }
  } else {
    const items = itemShape(shape, lookup)
    const lm = byElement(l, shape, items)
    const rm = byElement(r, shape, items)
    const one = (pe: string): void => {
      const li = lm.get(pe)
      const ri = rm.get(pe)
      path.push(pe)
      if (kind === 'set') mark(out, path, li, ri)
      else {
        cmp(li, ri, items, lookup, path, out)
        if (li === undefined || ri === undefined) mark(out, path, li, ri)
      }
      path.pop()
    }
    for (const pe of lm.keys()) one(pe)
    for (const pe of rm.keys()) if (!lm.has(pe)) one(pe)
  }
  // The container itself appears or disappears with its contents, unless Go always has it.
  if ((l === undefined || r === undefined) && !(shape.kind === 'struct' && ZERO_VALUE_STRUCTS.has(path[path.length - 1]?.slice(2) ?? ''))) mark(out, path, l, r)
}

/**
 * Removes from `obj` (in place) the fields of `last` that nobody in `owned` holds any part of:
 * what an applier stopped applying. Fields never tracked in `last` are left alone, and a named
 * field emptied by the removal goes too.
 */
export function removeUnowned(obj: JsonMap, last: FieldSet, owned: FieldSet, shape: Shape, lookup: Lookup): void {
  prune(obj, last, owned, shape, lookup)
}

function prune(v: unknown, last: FieldSet, owned: FieldSet | undefined, shape: Shape, lookup: Lookup): void {
  if (isMap(v)) {
    for (const [pe, lc] of last.children) {
      if (!pe.startsWith('f:')) continue
      const key = pe.slice(2)
      if (!(key in v)) continue
      const oc = owned?.children.get(pe)
      if (oc && !lc.children.size) continue
      if (!oc && !lc.children.size) {
        delete v[key]
        continue
      }
      prune(v[key], lc, oc, childShape(shape, key, lookup), lookup)
      if (!oc && isEmptyContainer(v[key])) delete v[key]
    }
    return
  }
  if (Array.isArray(v)) {
    const items = itemShape(shape, lookup)
    const keep: unknown[] = []
    v.forEach((item, i) => {
      const pe = itemElement(item, i, shape, items)
      const lc = last.children.get(pe)
      const oc = owned?.children.get(pe)
      if (lc && !oc) return // the whole item was this applier's alone
      if (lc && lc.children.size) prune(item, lc, oc, items, lookup)
      keep.push(item)
    })
    v.splice(0, v.length, ...keep)
  }
}

/** Non-pointer Go fields: present (empty) in a freshly made object, so creating them is no "add". */
const ZERO_VALUE_STRUCTS = new Set(['metadata', 'spec', 'status', 'template', 'strategy', 'updateStrategy', 'jobTemplate'])
const ZERO_VALUE_NULLS = new Set(['containers'])

/**
 * The Go zero value of an object's kind, as far as it matters for field sets: the object a
 * create is compared against (upstream compares with a new, empty object of the kind).
 */
export function zeroValueOf(obj: unknown, shape: Shape, lookup: Lookup): JsonMap {
  const out: JsonMap = {}
  if (!isMap(obj)) return out
  for (const [k, v] of Object.entries(obj)) {
    const cs = childShape(shape, k, lookup)
    if (ZERO_VALUE_STRUCTS.has(k) && cs.kind === 'struct' && isMap(v)) out[k] = zeroValueOf(v, cs, lookup)
    else if (ZERO_VALUE_NULLS.has(k) && cs.kind === 'list') out[k] = null
  }
  return out
}
