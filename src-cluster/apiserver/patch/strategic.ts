// Kubernetes strategic merge patch, driven by our schema. The semantics follow apimachinery's
// pkg/util/strategicpatch (apply side, with MergeParallelList and IgnoreUnmatchedNulls on, as
// the API server uses it), re-written here:
// - objects merge key by key, null deletes a key;
// - lists whose schema strategy is "merge" merge: objects by their merge key, scalars as a set;
//   every other list is replaced;
// - directives: `$patch: replace|delete` on an object, `$patch: delete|replace` as list items,
//   `$setElementOrder/<list>`, `$deleteFromPrimitiveList/<list>`, `$retainKeys`;
// - where the schema says nothing (unknown fields, raw JSON), values merge like JSON merge patch.
// Two deliberate differences from upstream: values that are new to the object are cleaned of
// directives and nulls all the way down (upstream keeps some), and `$patch: merge` on an object is
// accepted as the explicit default.
import { cloneJson, isMap, join, type JsonMap } from './body'
import { badPatch } from './errors'
import { mergeInto } from './merge'
import { childShape, itemShape, listMerges, mergeKeyOf, type Lookup, type Shape } from './shape'

const DIRECTIVE = '$patch'
const RETAIN_KEYS = '$retainKeys'
const SET_ORDER = '$setElementOrder/'
const DELETE_FROM_PRIMITIVE = '$deleteFromPrimitiveList/'

/** Applies `patch` to `original` (neither is modified; the result shares nothing with them). */
export function strategicMerge(original: JsonMap, patch: JsonMap, shape: Shape, lookup: Lookup): JsonMap {
  return new Merger(lookup).mergeMap(cloneJson(original), cloneJson(patch), shape, '')
}

type Key = (item: unknown) => unknown

function where(path: string): string {
  return path === '' ? 'the top level' : path
}

class Merger {
  constructor(private readonly lookup: Lookup) {}

  /** Merges patch into original (both owned by us, both may be modified). */
  mergeMap(original: JsonMap | undefined, patch: JsonMap, shape: Shape, path: string): JsonMap {
    if (shape.kind !== 'struct' && shape.kind !== 'map') return mergeInto(original ?? {}, patch) as JsonMap
    if (DIRECTIVE in patch) {
      const d = patch[DIRECTIVE]
      delete patch[DIRECTIVE]
      if (d === 'replace') return this.mergeMap(undefined, patch, shape, path)
      if (d === 'delete') return {}
      if (d !== 'merge') {
        throw badPatch(`unknown $patch directive ${JSON.stringify(d)} at ${where(path)}: use "replace" or "delete"`)
      }
    }
    const target = original ?? {}
    this.retainKeys(target, patch, path)
    this.setElementOrders(target, patch, shape, path)

    for (const [rawKey, pv] of Object.entries(patch)) {
      if (rawKey.startsWith(DELETE_FROM_PRIMITIVE)) {
        this.deleteFromPrimitiveList(target, rawKey, pv, path)
        continue
      }
      if (rawKey.startsWith('$')) {
        throw badPatch(`unknown strategic merge patch directive "${rawKey}" at ${where(path)}`)
      }
      if (pv === null) {
        delete target[rawKey]
        continue
      }
      const cs = childShape(shape, rawKey, this.lookup)
      const p = join(path, rawKey)
      const cur = target[rawKey]
      if (isMap(cur) && isMap(pv)) target[rawKey] = this.mergeMap(cur, pv, cs, p)
      else if (Array.isArray(cur) && Array.isArray(pv)) target[rawKey] = this.mergeListField(cur, pv, cs, p)
      else {
        // Absent, or a different JSON type: the patch value wins, cleaned of directives.
        const v = this.materialize(pv, cs, p)
        if (v === undefined) delete target[rawKey]
        else target[rawKey] = v
      }
    }
    return target
  }

  /** A patch value with nothing under it to merge with; undefined means "leave the key out". */
  private materialize(pv: unknown, shape: Shape, path: string): unknown {
    if (isMap(pv)) {
      if (shape.kind === 'struct' || shape.kind === 'map') {
        if (pv[DIRECTIVE] === 'delete') return undefined
        return this.mergeMap(undefined, pv, shape, path)
      }
      return mergeInto({}, pv)
    }
    if (Array.isArray(pv)) return this.mergeListField([], pv, shape, path)
    return pv
  }

  private mergeListField(cur: unknown[], pv: unknown[], shape: Shape, path: string): unknown[] {
    if (listMerges(shape)) return this.mergeList(cur, pv, shape, path)
    // Replaced list: items carrying `$patch` are dropped (as upstream does), the rest cleaned.
    const items = itemShape(shape, this.lookup)
    const out: unknown[] = []
    for (const item of pv) {
      if (isMap(item) && DIRECTIVE in item) continue
      out.push(isMap(item) || Array.isArray(item) ? this.materialize(item, items, path) : item)
    }
    return out
  }

  /** A list with strategy "merge": objects by merge key, scalars as an ordered set. */
  private mergeList(original: unknown[], patch: unknown[], shape: Shape, path: string): unknown[] {
    if (original.length === 0 && patch.length === 0) return original
    const kind = elementKind(path, original, patch)
    const mergeKey = mergeKeyOf(shape)
    if (kind === 'scalar') {
      const merged = dedupe([...original, ...patch])
      const key: Key = (v) => v
      return orderMerged(merged, patch, original, key)
    }
    if (mergeKey === '') {
      throw badPatch(`cannot merge the list ${path}: it holds objects but the schema gives it no merge key`)
    }
    const key: Key = (v) => (isMap(v) ? v[mergeKey] : undefined)
    const special = this.specialItems(original, patch, mergeKey, shape, path)
    const serverOrder = [...special.original]
    const merged = this.mergeItems(special.original, special.patch, mergeKey, shape, path)
    return orderMerged(merged, special.patch, serverOrder, key)
  }

  /** Handles `$patch` items: delete removes by key, replace makes the patch the whole list. */
  private specialItems(original: unknown[], patch: unknown[], mergeKey: string, shape: Shape, path: string) {
    const plain: JsonMap[] = []
    let replace = false
    let kept = original
    for (const item of patch) {
      if (!isMap(item)) throw badPatch(`${path}: every item of this merge list must be an object`)
      if (!(DIRECTIVE in item)) {
        plain.push(item)
        continue
      }
      const d = item[DIRECTIVE]
      if (d === 'delete') {
        if (!(mergeKey in item)) {
          throw badPatch(`${path}: an item with "$patch": "delete" must name the ${mergeKey} of the item to remove`)
        }
        kept = kept.filter((o) => !(isMap(o) && o[mergeKey] === item[mergeKey]))
      } else if (d === 'replace') {
        replace = true
      } else if (d === 'merge') {
        throw badPatch(`${path}: "$patch": "merge" is not supported on list items`)
      } else {
        throw badPatch(`${path}: unknown $patch directive ${JSON.stringify(d)} on a list item: use "delete" or "replace"`)
      }
    }
    if (replace) {
      const items = itemShape(shape, this.lookup)
      return { original: plain.map((p) => this.materialize(p, items, path)), patch: [] as JsonMap[] }
    }
    return { original: kept, patch: plain }
  }

  /** Patch items update the original item with the same key, or are appended. */
  private mergeItems(original: unknown[], patch: JsonMap[], mergeKey: string, shape: Shape, path: string): unknown[] {
    const items = itemShape(shape, this.lookup)
    const out = [...original]
    for (const item of patch) {
      if (!(mergeKey in item)) {
        throw badPatch(`${path}: item ${JSON.stringify(item)} has no merge key "${mergeKey}"`)
      }
      const v = item[mergeKey]
      const p = `${path}[${mergeKey}=${String(v)}]`
      const i = out.findIndex((o) => isMap(o) && o[mergeKey] === v)
      if (i >= 0) out[i] = this.mergeMap(out[i] as JsonMap, item, items, p)
      else out.push(this.materialize(item, items, p))
    }
    return out
  }

  /** `$retainKeys: [..]`: keys of the original not listed are cleared (e.g. a strategy type switch). */
  private retainKeys(original: JsonMap, patch: JsonMap, path: string): void {
    if (!(RETAIN_KEYS in patch)) return
    const list = patch[RETAIN_KEYS]
    delete patch[RETAIN_KEYS]
    if (!Array.isArray(list)) throw badPatch(`$retainKeys at ${where(path)} must be a list of field names`)
    const keep = new Set(list)
    for (const [k, v] of Object.entries(patch)) {
      if (v === null || k.startsWith(DELETE_FROM_PRIMITIVE) || k.startsWith(SET_ORDER)) continue
      if (!keep.has(k)) {
        throw badPatch(`$retainKeys at ${where(path)} does not list "${k}", which the patch sets: every field set must be retained`)
      }
    }
    for (const k of Object.keys(original)) if (!keep.has(k)) delete original[k]
  }

  /** `$deleteFromPrimitiveList/<list>: [..]` removes those values from a list of scalars. */
  private deleteFromPrimitiveList(target: JsonMap, rawKey: string, pv: unknown, path: string): void {
    const key = rawKey.slice(DELETE_FROM_PRIMITIVE.length)
    if (key === '' || key.includes('/')) throw badPatch(`malformed directive "${rawKey}" at ${where(path)}`)
    if (!Array.isArray(pv)) throw badPatch(`${rawKey} at ${where(path)} must be a list of values to remove`)
    const cur = target[key]
    if (!Array.isArray(cur)) return // nothing to delete from; never creates the list
    if (pv.some((v) => isMap(v) || Array.isArray(v)) || cur.some((v) => isMap(v) || Array.isArray(v))) {
      throw badPatch(`${rawKey} at ${where(path)}: this directive applies to lists of scalars only`)
    }
    const drop = new Set(pv)
    target[key] = cur.filter((v) => !drop.has(v))
  }

  /**
   * `$setElementOrder/<list>: [..]` gives the final order of the items the client knows about;
   * items only the server has keep their place relative to the live list.
   */
  private setElementOrders(target: JsonMap, patch: JsonMap, shape: Shape, path: string): void {
    for (const [rawKey, order] of Object.entries(patch)) {
      if (!rawKey.startsWith(SET_ORDER)) continue
      delete patch[rawKey]
      const key = rawKey.slice(SET_ORDER.length)
      if (key === '' || key.includes('/')) throw badPatch(`malformed directive "${rawKey}" at ${where(path)}`)
      if (!Array.isArray(order)) throw badPatch(`${rawKey} at ${where(path)} must be a list`)
      const p = join(path, key)
      const cur = target[key]
      const pl = patch[key]
      if (pl === null) continue // the list is being deleted; there is nothing to order
      if (cur !== undefined && !Array.isArray(cur)) throw badPatch(`${rawKey}: ${p} is not a list in the object`)
      if (pl !== undefined && !Array.isArray(pl)) throw badPatch(`${rawKey}: ${p} in the patch is not a list`)
      const cs = childShape(shape, key, this.lookup)
      const mergeKey = mergeKeyOf(cs)
      const patchList = Array.isArray(pl) ? pl : undefined
      const curList = Array.isArray(cur) ? cur : undefined
      if (patchList) checkOrderMatchesPatch(patchList, order, mergeKey, rawKey, p)

      let merged: unknown[]
      if (curList && patchList) merged = this.mergeListField(curList, patchList, cs, p)
      else if (curList) merged = curList
      else if (patchList) merged = this.mergeListField([], patchList, cs, p)
      else continue
      delete patch[key]

      const kind = elementKind(p, curList ?? [], patchList ?? [])
      const key2: Key = kind === 'map' ? (v) => (isMap(v) ? v[mergeKey] : undefined) : (v) => v
      if (kind === 'map' && mergeKey === '') {
        throw badPatch(`${rawKey}: the list ${p} holds objects but the schema gives it no merge key`)
      }
      const inOrder = new Set(order.map(key2))
      const listed = merged.filter((v) => inOrder.has(key2(v)))
      const serverOnly = merged.filter((v) => !inOrder.has(key2(v)))
      target[key] = normalizeElementOrder(listed, serverOnly, order, curList ?? [], key2)
    }
  }
}

type ElementKind = 'map' | 'scalar' | 'empty'

/** All items must be of one JSON type; lists of lists are not supported (as upstream). */
function elementKind(path: string, ...lists: unknown[][]): ElementKind {
  let seen: string | undefined
  for (const l of lists) {
    for (const v of l) {
      const t = v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v
      if (t === 'array') throw badPatch(`${path}: lists of lists cannot be merged`)
      if (seen === undefined) seen = t
      else if (seen !== t) throw badPatch(`${path}: list items are not all of the same type (${seen} and ${t})`)
    }
  }
  if (seen === undefined) return 'empty'
  return seen === 'object' ? 'map' : 'scalar'
}

function dedupe(list: unknown[]): unknown[] {
  const seen = new Set<unknown>()
  return list.filter((v) => (seen.has(v) ? false : (seen.add(v), true)))
}

/** Items named in the patch take the patch's order; the others keep the live order around them. */
function orderMerged(merged: unknown[], patch: unknown[], serverOrder: unknown[], key: Key): unknown[] {
  const inPatch = new Set(patch.map(key))
  const fromPatch = merged.filter((v) => inPatch.has(key(v)))
  const serverOnly = merged.filter((v) => !inPatch.has(key(v)))
  return normalizeElementOrder(fromPatch, serverOnly, patch, serverOrder, key)
}

function indexIn(list: unknown[], item: unknown, key: Key): number {
  const k = key(item)
  return list.findIndex((v) => key(v) === k)
}

function sortBy(items: unknown[], order: unknown[], key: Key): unknown[] {
  const pos = (v: unknown) => indexIn(order, v, key)
  // Stable sort; items missing from `order` do not happen for the callers' partitions.
  return [...items].sort((a, b) => {
    const ia = pos(a)
    const ib = pos(b)
    return ia >= 0 && ib >= 0 ? ia - ib : 0
  })
}

/**
 * Sorts patch items by `patchOrder` and server-only items by `serverOrder`, then interleaves
 * them: a server-only item goes before a patch item only when the live list had it before that
 * item. This is upstream's best-effort order; brand-new items therefore come first unless a
 * `$setElementOrder` list says otherwise.
 */
function normalizeElementOrder(patchItems: unknown[], serverOnly: unknown[], patchOrder: unknown[], serverOrder: unknown[], key: Key): unknown[] {
  const right = sortBy(patchItems, patchOrder, key)
  const left = sortBy(serverOnly, serverOrder, key)
  const out: unknown[] = []
  let i = 0
  let j = 0
  while (i < left.length || j < right.length) {
    if (i >= left.length) out.push(right[j++])
    else if (j >= right.length) out.push(left[i++])
    else {
      const li = indexIn(serverOrder, left[i], key)
      const ri = indexIn(serverOrder, right[j], key)
      if (li >= 0 && ri >= 0 && li < ri) out.push(left[i++])
      else out.push(right[j++])
    }
  }
  return out
}

/** The patch list's items (deletions aside) must appear in `$setElementOrder` in the same order. */
function checkOrderMatchesPatch(patchList: unknown[], order: unknown[], mergeKey: string, rawKey: string, path: string): void {
  const items = patchList.filter((v) => !(isMap(v) && DIRECTIVE in v))
  const keyOf = (v: unknown): unknown => {
    if (mergeKey === '') return v
    if (!isMap(v) || !(mergeKey in v)) {
      throw badPatch(`${rawKey}: item ${JSON.stringify(v)} of ${path} has no merge key "${mergeKey}"`)
    }
    return v[mergeKey]
  }
  let o = 0
  for (const item of items) {
    const k = keyOf(item)
    while (o < order.length && keyOf(order[o]) !== k) o++
    if (o >= order.length) {
      throw badPatch(`${rawKey}: the patch list ${path} has ${JSON.stringify(item)} which is missing from, or out of order in, the $setElementOrder list`)
    }
    o++
  }
}
