// metadata.managedFields entries: decoding, identity, encoding in upstream's order, and the cap
// on Update entries.
import { isDeepStrictEqual } from 'node:util'
import { FieldSet, fromFieldsV1, toFieldsV1 } from './fieldset'

export type Operation = 'Apply' | 'Update'

export interface Entry {
  manager: string
  operation: Operation
  apiVersion: string
  time?: string
  subresource?: string
  set: FieldSet
  /** The stored FieldsV1 that `set` was read from: written back as it is while `set` stays that set. */
  stored?: { readonly set: FieldSet; readonly fieldsV1: unknown }
}

/** The wire form (kubernetes-types' ManagedFieldsEntry, in Go's field order). */
export interface ManagedFieldsEntry {
  manager?: string
  operation?: string
  apiVersion?: string
  time?: string
  fieldsType?: string
  fieldsV1?: unknown
  subresource?: string
}

/** Who writes: manager and operation, plus the subresource and the apiVersion it writes through. */
export interface Writer {
  readonly manager: string
  readonly operation: Operation
  readonly apiVersion: string
  readonly subresource?: string
}

/** Upstream's manager identifier: time and fields never count, nor apiVersion for appliers. */
export function identity(entry: Pick<Entry, 'manager' | 'operation' | 'apiVersion' | 'subresource'>): string {
  return JSON.stringify([entry.manager, entry.operation, entry.operation === 'Apply' ? '' : entry.apiVersion, entry.subresource ?? ''])
}

export class EntryError extends Error {}

/**
 * Reads stored or sent managedFields; throws EntryError naming the bad entry. `stored`: the
 * entries are the stored object's (encoded by encodeEntries, so each FieldsV1 can be written
 * back unchanged when its set does not change).
 */
export function decodeEntries(raw: unknown, stored = false): Entry[] {
  if (raw === undefined || raw === null) return []
  if (!Array.isArray(raw)) throw new EntryError('metadata.managedFields must be a list')
  return raw.map((e: unknown, i) => {
    const where = `metadata.managedFields[${i}]`
    if (typeof e !== 'object' || e === null) throw new EntryError(`${where} must be an object`)
    const m = e as ManagedFieldsEntry
    if (m.operation !== 'Apply' && m.operation !== 'Update') throw new EntryError(`${where}.operation must be Apply or Update`)
    if (m.fieldsType !== 'FieldsV1') throw new EntryError(`${where}.fieldsType must be FieldsV1`)
    let set: FieldSet
    try {
      set = fromFieldsV1(m.fieldsV1 ?? {}, `${where}.fieldsV1`)
    } catch (err) {
      throw new EntryError((err as Error).message)
    }
    const entry: Entry = {
      manager: m.manager ?? '',
      operation: m.operation,
      apiVersion: m.apiVersion ?? '',
      time: m.time,
      subresource: m.subresource || undefined,
      set,
    }
    if (stored) entry.stored = { set, fieldsV1: m.fieldsV1 }
    return entry
  })
}

/** `[{}]` (documented) or `[]` in a write: store the object without managedFields. */
export function isResetRequest(raw: unknown): boolean {
  return Array.isArray(raw) && (raw.length === 0 || (raw.length === 1 && isDeepStrictEqual(raw[0], {})))
}

function seconds(t: string | undefined): number {
  return t ? Date.parse(t) : 0
}

/** Entries as stored: empty ones dropped, sorted as upstream sorts them. */
export function encodeEntries(entries: readonly Entry[]): ManagedFieldsEntry[] | undefined {
  const kept = entries.filter((e) => !e.set.isEmpty())
  if (!kept.length) return undefined
  kept.sort((p, q) => {
    if (p.operation !== q.operation) return p.operation < q.operation ? -1 : 1
    const dt = seconds(p.time) - seconds(q.time)
    if (dt !== 0) return dt
    if (p.manager !== q.manager) return p.manager < q.manager ? -1 : 1
    if (p.apiVersion !== q.apiVersion) return p.apiVersion < q.apiVersion ? -1 : 1
    return (p.subresource ?? '') < (q.subresource ?? '') ? -1 : (p.subresource ?? '') > (q.subresource ?? '') ? 1 : 0
  })
  return kept.map((e) => {
    const out: ManagedFieldsEntry = { manager: e.manager, operation: e.operation, apiVersion: e.apiVersion }
    if (e.time) out.time = e.time
    out.fieldsType = 'FieldsV1'
    out.fieldsV1 = e.stored?.set === e.set ? e.stored.fieldsV1 : toFieldsV1(e.set)
    if (e.subresource) out.subresource = e.subresource
    return out
  })
}

const MAX_UPDATE_ENTRIES = 10
const ANCIENT = 'ancient-changes'

/** More than ten Update entries: the oldest fold into one `ancient-changes` entry (as upstream). */
export function capUpdateEntries(entries: Entry[]): Entry[] {
  const updates = entries.filter((e) => e.operation === 'Update' && !e.set.isEmpty())
  if (updates.length <= MAX_UPDATE_ENTRIES) return entries
  const byAge = [...updates].sort((a, b) => seconds(a.time) - seconds(b.time))
  let ancient = entries.find((e) => e.operation === 'Update' && e.manager === ANCIENT)
  const drop = new Set<Entry>()
  let count = updates.length
  for (const e of byAge) {
    if (count <= MAX_UPDATE_ENTRIES) break
    if (e === ancient) continue
    if (!ancient) {
      ancient = { manager: ANCIENT, operation: 'Update', apiVersion: e.apiVersion, time: e.time, set: new FieldSet() }
      entries = [...entries, ancient]
      count++
    }
    ancient.set = ancient.set.union(e.set)
    drop.add(e)
    count--
  }
  return entries.filter((e) => !drop.has(e))
}
