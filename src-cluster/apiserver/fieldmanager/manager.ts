// Field ownership for every write, as upstream's field manager keeps it:
// - create: the writer owns every field present after defaulting;
// - update (PUT, non-apply PATCH, subresource writes): changed fields join the writer's entry and
//   leave everyone else's, removed fields leave all entries; objects without managedFields are
//   not tracked by plain updates;
// - apply: the applier's entry becomes exactly the applied set; fields it applied last time and
//   nobody owns any more are removed; changing a field someone else owns is a 409 unless forced;
//   the `kubectl` manager may take over fields that still match the client-side apply annotation.
import { isDeepStrictEqual } from 'node:util'
import type { KubeObject } from '../../api/object'
import { apiVersionOf, type ResourceInfo } from '../../api/resources'
import { structByName } from '../../api/schema'
import { applyConfiguration } from '../patch/apply'
import { isMap, type JsonMap } from '../patch/body'
import { FREE, type Lookup, type Shape } from '../patch/shape'
import { errors, failure, type ApiError } from '../status'
import {
  capUpdateEntries,
  decodeEntries,
  encodeEntries,
  EntryError,
  identity,
  isResetRequest,
  type Entry,
  type ManagedFieldsEntry,
  type Writer,
} from './entries'
import { FieldSet, pathString } from './fieldset'
import { compare, compareChanges, fieldsOf, removeUnowned, zeroValueOf } from './typed'
import { rfc3339 } from '../../kit/time'

export const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration'

/** Decides the managedFields a write stores. The write handlers call it once per attempt. */
export interface FieldTracker {
  /** For a new object (after defaulting); `sent` is the body's metadata.managedFields. */
  created(obj: KubeObject, sent: unknown): ManagedFieldsEntry[] | undefined
  /** For `next` replacing `live`; `sent` is what the written object's metadata.managedFields held. */
  updated(live: KubeObject, next: KubeObject, sent: unknown): ManagedFieldsEntry[] | undefined
}

/** Custom resources bring their schema as structs (falling back to the built-in ones). */
function lookupFor(res: ResourceInfo): Lookup {
  return res.dynamic ? (name) => res.dynamic!.lookup(name) : structByName
}

function rootShape(res: ResourceInfo, lookup: Lookup): Shape {
  try {
    return { kind: 'struct', struct: lookup(res.schema) }
  } catch {
    return FREE // no schema at all: walked as plain JSON (maps granular, lists atomic)
  }
}

/** Fields never tracked (upstream strips them), and the part a subresource write may own. */
const UNTRACKED_META = [
  'name',
  'namespace',
  'uid',
  'resourceVersion',
  'generation',
  'creationTimestamp',
  'managedFields',
  'selfLink',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
]

/** The top-level field a write through `subresource` resets (never owns), if the resource has a status. */
function resetField(res: ResourceInfo, subresource: string | undefined): 'spec' | 'status' | undefined {
  if (!res.subresources?.some((x) => x.name === 'status')) return undefined
  // The main endpoint resets status and the status endpoint spec (upstream's reset fields).
  // A CSR's approval endpoint writes conditions only, as upstream's approval strategy.
  return subresource === 'status' || subresource === 'approval' ? 'spec' : 'status'
}

const UNTRACKED_META_ELEMENTS = new Set(UNTRACKED_META.map((m) => 'f:' + m))

/**
 * `set` without what is never tracked and without the part the write resets. Takes `set` over:
 * its nodes are the result's (every caller passes a set it has just made and uses no more), so
 * nothing is copied on every write.
 */
function scoped(res: ResourceInfo, subresource: string | undefined, set: FieldSet): FieldSet {
  const reset = resetField(res, subresource)
  const out = new FieldSet()
  out.self = set.self
  for (const [k, v] of set.children) {
    if (k === 'f:apiVersion' || k === 'f:kind' || (reset && k === 'f:' + reset)) continue
    let c: FieldSet
    if (k === 'f:metadata') {
      c = new FieldSet()
      c.self = v.self
      for (const [mk, mv] of v.children) {
        if (UNTRACKED_META_ELEMENTS.has(mk)) continue
        if (!mv.isEmpty()) c.setChild(mk, mv)
      }
    } else c = v
    if (!c.isEmpty()) out.setChild(k, c)
  }
  return out
}

/**
 * The part of an object whose fields a write through `subresource` may own (see scoped()):
 * comparing only that part finds the same changes without walking, say, a pod's spec on every
 * status write.
 */
function ownable(res: ResourceInfo, subresource: string | undefined, obj: KubeObject): KubeObject {
  const reset = resetField(res, subresource)
  const resets = reset !== undefined && reset in obj
  // managedFields are never tracked either, and the stored object's would be walked for nothing.
  const tracked = obj.metadata?.managedFields !== undefined
  if (!resets && !tracked) return obj
  const out = { ...obj }
  if (resets) delete out[reset]
  if (tracked) {
    const meta = { ...out.metadata }
    delete meta.managedFields
    out.metadata = meta
  }
  return out
}

function liveEntries(obj: KubeObject): Entry[] {
  try {
    return decodeEntries(obj.metadata?.managedFields, true)
  } catch {
    return [] // a stored object with unreadable entries: start again rather than fail every write
  }
}

export interface WriterSpec {
  readonly manager: string
  readonly subresource?: string
}

function writerOf(res: ResourceInfo, w: WriterSpec, operation: 'Apply' | 'Update'): Writer {
  return { manager: w.manager, operation, apiVersion: apiVersionOf(res), subresource: w.subresource }
}

/** The tracker of a create, update, non-apply patch or subresource write. */
export function updateTracker(res: ResourceInfo, spec: WriterSpec, now: () => Date): FieldTracker {
  const lookup = lookupFor(res)
  const shape = rootShape(res, lookup)
  const writer = writerOf(res, spec, 'Update')
  return {
    created(obj, sent) {
      if (sent !== undefined && isResetRequest(sent)) return undefined
      const part = ownable(res, spec.subresource, obj)
      const set = scoped(res, spec.subresource, compareChanges(zeroValueOf(part, shape, lookup), part, shape, lookup).changed)
      return encodeEntries([{ ...writer, time: rfc3339(now()), set }])
    },
    updated(live, next, sent) {
      const liveRaw = live.metadata?.managedFields
      let entries: Entry[]
      if (sent !== undefined && !isDeepStrictEqual(sent, liveRaw)) {
        if (isResetRequest(sent)) return undefined
        try {
          entries = decodeEntries(sent)
        } catch (e) {
          if (e instanceof EntryError) throw errors.badRequest(`${e.message}: send the entries as read from the server, or [{}] to clear them`)
          throw e
        }
      } else {
        entries = liveEntries(live)
      }
      if (!entries.length) return undefined // plain updates never start tracking (upstream)
      const c = compareChanges(ownable(res, spec.subresource, live), ownable(res, spec.subresource, next), shape, lookup)
      const changed = scoped(res, spec.subresource, c.changed)
      const removed = scoped(res, spec.subresource, c.removed)
      const key = changed.isEmpty() ? undefined : identity(writer)
      let mine = key === undefined ? undefined : entries.find((e) => identity(e) === key)
      // The writer's entry already holding every changed field and none removed comes out as it
      // was (its set minus the changed fields, plus them again): kept, with its stored encoding.
      const mineKept = mine !== undefined && mine.set.covers(changed) && !mine.set.intersects(removed)
      // Entries the write does not touch keep their set (and so their stored encoding).
      for (const e of entries) {
        if (e === mine && mineKept) continue
        if (e.set.intersects(changed) || e.set.intersects(removed)) e.set = e.set.difference(changed).difference(removed)
      }
      if (key !== undefined) {
        if (!mine) {
          mine = { ...writer, set: new FieldSet() }
          entries.push(mine)
        }
        if (!mineKept) mine.set = mine.set.union(changed)
        mine.time = rfc3339(now())
      }
      return encodeEntries(capUpdateEntries(entries))
    },
  }
}

/** The tracker of an apply: the entries were decided with the merge (applyWithOwnership). */
export const appliedTracker: FieldTracker = {
  created: (_obj, sent) => sent as ManagedFieldsEntry[] | undefined,
  updated: (_live, _next, sent) => sent as ManagedFieldsEntry[] | undefined,
}

export interface ApplyRequest {
  readonly res: ResourceInfo
  readonly writer: WriterSpec
  readonly force: boolean
  readonly now: () => Date
}

/** The object an apply creates when nothing is there yet, with the applier's entry. */
export function createByApply(applyRequest: ApplyRequest, config: KubeObject): KubeObject {
  const lookup = lookupFor(applyRequest.res)
  const shape = rootShape(applyRequest.res, lookup)
  const fresh = applyConfiguration({}, config, shape, lookup) as KubeObject
  const set = scoped(applyRequest.res, applyRequest.writer.subresource, fieldsOf(config, shape, lookup))
  fresh.metadata = {
    ...(fresh.metadata ?? {}),
    managedFields: encodeEntries([{ ...writerOf(applyRequest.res, applyRequest.writer, 'Apply'), time: rfc3339(applyRequest.now()), set }]),
  }
  return fresh
}

interface Conflict {
  readonly entry: Entry
  readonly set: FieldSet
}

/**
 * Merges an applied configuration into the live object with ownership: returns the object to
 * store, its metadata.managedFields decided. Throws the 409 of a conflict unless forced.
 */
export function applyWithOwnership(applyRequest: ApplyRequest, live: KubeObject, config: KubeObject): KubeObject {
  const lookup = lookupFor(applyRequest.res)
  const shape = rootShape(applyRequest.res, lookup)
  const writer = writerOf(applyRequest.res, applyRequest.writer, 'Apply')
  const time = rfc3339(applyRequest.now())
  let entries = liveEntries(live)
  if (!entries.length) {
    // Fields set before anyone applied belong to a placeholder manager, as upstream does.
    const c = compare(zeroValueOf(live, shape, lookup), live, shape, lookup)
    const set = scoped(applyRequest.res, undefined, c.added.union(c.modified))
    entries = [{ manager: 'before-first-apply', operation: 'Update', apiVersion: writer.apiVersion, time, set }]
  }
  const merged = applyConfiguration(live, config, shape, lookup) as KubeObject
  const key = identity(writer)
  let mine = entries.find((e) => identity(e) === key)
  const last = mine?.set
  const applied = scoped(applyRequest.res, applyRequest.writer.subresource, fieldsOf(config, shape, lookup))
  if (mine) mine.set = applied
  else {
    mine = { ...writer, set: applied }
    entries.push(mine)
  }
  if (last) {
    const owned = entries.reduce((acc, e) => acc.union(e.set), new FieldSet())
    removeUnowned(merged, last, owned, shape, lookup)
  }
  const c = compare(live, merged, shape, lookup)
  const changed = scoped(applyRequest.res, applyRequest.writer.subresource, c.added.union(c.modified))
  const removed = scoped(applyRequest.res, applyRequest.writer.subresource, c.removed)
  const others = entries.filter((e) => e !== mine)
  let conflicts: Conflict[] = others.map((entry) => ({ entry, set: entry.set.intersection(changed) })).filter((x) => !x.set.isEmpty())
  if (conflicts.length && !applyRequest.force) {
    // Moving from client-side apply: fields still equal to the last applied configuration may be taken.
    const allowed = applyRequest.writer.manager === 'kubectl' ? lastAppliedFields(live, shape, lookup) : undefined
    if (allowed) conflicts = conflicts.map((x) => ({ entry: x.entry, set: x.set.difference(allowed) })).filter((x) => !x.set.isEmpty())
    if (conflicts.length) throw conflictError(conflicts)
  }
  for (const e of others) e.set = e.set.difference(changed).difference(removed)
  if (!changed.isEmpty() || !removed.isEmpty() || !mine.time) mine.time = time
  if (applyRequest.writer.manager === 'kubectl') syncLastApplied(merged, config)
  const meta = { ...(merged.metadata ?? {}) }
  const encoded = encodeEntries(capUpdateEntries(entries))
  if (encoded) meta.managedFields = encoded
  else delete meta.managedFields
  merged.metadata = meta
  return merged
}

/** Fields of the client-side apply annotation whose live value still equals it. */
function lastAppliedFields(live: KubeObject, shape: Shape, lookup: Lookup): FieldSet | undefined {
  const text = live.metadata?.annotations?.[LAST_APPLIED]
  if (!text) return undefined
  let last: unknown
  try {
    last = JSON.parse(text)
  } catch {
    return undefined
  }
  if (!isMap(last)) return undefined
  const c = compare(last, live, shape, lookup)
  return fieldsOf(last, shape, lookup).difference(c.modified).difference(c.removed)
}

/** JSON with map keys sorted, as Go writes maps. */
function goJson(v: unknown): string {
  if (Array.isArray(v)) return '[' + v.map(goJson).join(',') + ']'
  if (isMap(v))
    return (
      '{' +
      Object.keys(v)
        .sort()
        .map((k) => `${JSON.stringify(k)}:${goJson(v[k])}`)
        .join(',') +
      '}'
    )
  return JSON.stringify(v)
}

/** A `kubectl` apply rewrites an existing client-side apply annotation to what it applied. */
function syncLastApplied(merged: KubeObject, config: KubeObject): void {
  const ann = merged.metadata?.annotations
  if (!ann || ann[LAST_APPLIED] === undefined) return
  const copy = structuredClone(config) as JsonMap & KubeObject
  if (copy.metadata?.annotations) {
    const { [LAST_APPLIED]: _drop, ...rest } = copy.metadata.annotations
    copy.metadata = { ...copy.metadata, annotations: rest }
  }
  merged.metadata = { ...merged.metadata, annotations: { ...ann, [LAST_APPLIED]: goJson(copy) + '\n' } }
}

function printManager(e: Entry): string {
  let s = JSON.stringify(e.manager)
  if (e.subresource) s += ` with subresource ${JSON.stringify(e.subresource)}`
  if (e.operation === 'Update') s += ` using ${e.apiVersion}`
  return s
}

/** Upstream's 409: "Apply failed with N conflict(s): …", one cause per field. */
export function conflictError(conflicts: readonly Conflict[]): ApiError {
  const byManager = [...conflicts].sort((p, q) => (identity(p.entry) < identity(q.entry) ? -1 : identity(p.entry) > identity(q.entry) ? 1 : 0))
  const items = byManager.flatMap((x) => x.set.members().map((p) => ({ who: printManager(x.entry), field: pathString(p) })))
  let message: string
  if (items.length === 1) {
    message = `Apply failed with 1 conflict: conflict with ${items[0]!.who}: ${items[0]!.field}`
  } else {
    const lines: string[] = []
    for (const x of byManager) {
      lines.push(`conflicts with ${printManager(x.entry)}:`)
      for (const p of x.set.members()) lines.push(`- ${pathString(p)}`)
    }
    message = `Apply failed with ${items.length} conflicts: ${lines.join('\n')}`
  }
  return failure(409, 'Conflict', message, {
    causes: items.map((i) => ({ reason: 'FieldManagerConflict', message: `conflict with ${i.who}`, field: i.field })),
  })
}
