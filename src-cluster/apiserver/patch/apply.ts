// Server-side apply (`kubectl apply --server-side`): the applied
// configuration is merged into the live object by the schema, with structured-merge semantics:
// - objects merge field by field; a field set to null is removed;
// - lists of x-kubernetes-list-type "map" merge item by item on their keys, "set" lists take the
//   union, "atomic" lists are replaced; lists without a list type follow their strategic merge
//   tags (merge key, or merge strategy for scalars) and are otherwise replaced;
// - values the schema does not describe merge like JSON merge patch.
// Ownership (managedFields), conflicts and removing what an applier dropped are the field
// manager's (../fieldmanager), which calls this merge. Merged lists are ordered as
// structured-merge-diff orders them.
import { cloneJson, isMap, join, type JsonMap } from './body'
import { badPatch } from './errors'
import { mergeInto } from './merge'
import { childShape, itemShape, type Lookup, type Shape } from './shape'

/** Checks that an apply body is an object carrying apiVersion and kind, and no managedFields. */
export function checkApplyConfiguration(value: unknown): JsonMap {
  if (!isMap(value)) throw badPatch('apply patch body must be a YAML or JSON object (one Kubernetes object)')
  if (typeof value.apiVersion !== 'string' || value.apiVersion === '') throw badPatch('apply patch: apiVersion must be set in the applied object')
  if (typeof value.kind !== 'string' || value.kind === '') throw badPatch('apply patch: kind must be set in the applied object')
  const meta = value.metadata
  if (isMap(meta) && meta.managedFields !== undefined && meta.managedFields !== null) {
    throw badPatch('metadata.managedFields must be nil')
  }
  return value
}

/** Merges an applied configuration into the live object (neither is modified). */
export function applyConfiguration(live: JsonMap, applied: JsonMap, shape: Shape, lookup: Lookup): JsonMap {
  return mergeObject(cloneJson(live), applied, shape, lookup, '')
}

function mergeObject(target: JsonMap, applied: JsonMap, shape: Shape, lookup: Lookup, path: string): JsonMap {
  if (shape.kind !== 'struct' && shape.kind !== 'map') return mergeInto(target, applied) as JsonMap
  for (const [k, v] of Object.entries(applied)) {
    if (v === null) {
      delete target[k]
      continue
    }
    target[k] = mergeValue(target[k], v, childShape(shape, k, lookup), lookup, join(path, k))
  }
  return target
}

function mergeValue(cur: unknown, v: unknown, shape: Shape, lookup: Lookup, path: string): unknown {
  if (isMap(v)) return mergeObject(isMap(cur) ? cur : {}, v, shape, lookup, path)
  if (Array.isArray(v)) return mergeList(Array.isArray(cur) ? cur : [], v, shape, lookup, path)
  return v
}

// x-kubernetes-list-type decides, as in real apply; without one, the strategic merge tags do.
export function listKeys(shape: Shape): readonly string[] | undefined {
  if (shape.kind !== 'list') return undefined
  const l = shape.list
  if (l.listType === 'map') return l.mapKeys && l.mapKeys.length > 0 ? l.mapKeys : l.mergeKey ? [l.mergeKey] : undefined
  if (l.listType === undefined && l.mergeKey) return [l.mergeKey]
  return undefined
}

export function isSet(shape: Shape): boolean {
  if (shape.kind !== 'list') return false
  const l = shape.list
  if (l.listType !== undefined) return l.listType === 'set'
  return l.strategy?.startsWith('merge') === true && l.of.t !== 'ref' && l.of.t !== 'map'
}

function mergeList(cur: unknown[], applied: unknown[], shape: Shape, lookup: Lookup, path: string): unknown[] {
  const items = itemShape(shape, lookup)
  const keys = listKeys(shape)
  if (keys) {
    // A key field left out takes its schema default (ports' protocol is TCP), so an applied
    // item matches the defaulted live item instead of being added next to it.
    const defaults = keys.map((k) => (items.kind === 'struct' ? items.struct.fields[k]?.default : undefined))
    const keyOf = (item: unknown): string => {
      if (!isMap(item)) throw badPatch(`apply patch: ${path}: items of this list must be objects`)
      return JSON.stringify(keys.map((k, i) => item[k] ?? defaults[i] ?? null))
    }
    const seen = new Set<string>()
    for (const item of applied) {
      const k = keyOf(item)
      if (seen.has(k)) throw badPatch(`apply patch: ${path}: duplicate entries for key ${k}`)
      seen.add(k)
    }
    return interleave(cur, applied, keyOf, (live, a, k) => mergeValue(live, a, items, lookup, `${path}[${k}]`))
  }
  if (isSet(shape)) {
    const keyOf = (v: unknown): string => JSON.stringify(v)
    return interleave(cur, [...new Map(applied.map((v) => [keyOf(v), v])).values()], keyOf, (_live, a) => a)
  }
  // Atomic list: the applied value replaces it, with nulls inside objects dropped.
  return applied.map((item) => mergeValue(undefined, item, items, lookup, path))
}

/**
 * Merges two keyed lists the way structured-merge-diff orders them: items in both follow the
 * applied order, new applied items sit where the applied list has them, and live-only items keep
 * their place relative to their neighbours.
 */
function interleave(
  live: unknown[],
  applied: unknown[],
  keyOf: (v: unknown) => string,
  merge: (live: unknown, applied: unknown, key: string) => unknown,
): unknown[] {
  const lk = live.map(keyOf)
  const rk = applied.map(keyOf)
  const inApplied = new Set(rk)
  const liveByKey = new Map<string, unknown>()
  lk.forEach((k, i) => {
    if (!liveByKey.has(k)) liveByKey.set(k, live[i])
  })
  const shared = rk.filter((k) => liveByKey.has(k))
  let nextShared = 0
  const done = new Set<string>()
  const out: unknown[] = []
  let l = 0
  let r = 0
  while (l < lk.length || r < rk.length) {
    if (l < lk.length && r < rk.length) {
      if (lk[l] === rk[r]) {
        out.push(merge(live[l], applied[r], rk[r]!))
        done.add(rk[r]!)
        if (shared[nextShared] === rk[r]) nextShared++
        l++
        r++
        continue
      }
      // A shared item that the applied list wants later: it is emitted when the applied side reaches it.
      if (inApplied.has(lk[l]!) && nextShared < shared.length && shared[nextShared] !== lk[l]) {
        l++
        continue
      }
    }
    if (l < lk.length) {
      if (!inApplied.has(lk[l]!)) {
        out.push(live[l])
        l++
        continue
      }
      if (done.has(lk[l]!)) l++
    }
    if (r < rk.length) {
      const k = rk[r]!
      done.add(k)
      out.push(merge(liveByKey.get(k), applied[r], k))
      if (shared[nextShared] === k) nextShared++
      r++
    }
  }
  return out
}
