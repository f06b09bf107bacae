// The in-memory multi-version state: every key's versions since the last compaction, two sorted
// key indexes, and the event history that watches replay. No I/O here: the store decides when a
// change is durable and only then calls commit(), so readers never see an unlogged write.
// A superseded version is kept packed: as the delta from its successor's value (delta.ts), which
// the history and reads in the past unpack on demand.
import type { KeyValue, RangeOptions, RangeResult, WatchEvent } from './types'
import { StoreError } from './types'
import type { LoggedOp } from './records'
import { SortedKeys, prefixEnd } from './sorted-keys'
import { applyDelta, makeDelta } from './delta'

/** All events written at one revision, in operation order. */
export interface EventGroup {
  readonly revision: number
  readonly events: readonly WatchEvent[]
}

/** A revision's events as the history keeps them, with what it costs and when it was committed. */
interface HeldGroup extends EventGroup {
  /** Bytes its values keep alive (counted whole). */
  readonly bytes: number
  /** When it was committed (ms). */
  readonly at: number
}

/** Put in the history's slots before its head, so an evicted revision is not kept alive until the array is cut. */
const EVICTED: HeldGroup = { revision: 0, events: [], bytes: 0, at: 0 }

/** How much watch history (and with it, old versions) to keep. */
export interface HistoryBounds {
  /** At least this many events are kept, unless the byte or age bound says otherwise. */
  readonly events: number
  /** Values held by history beyond this are compacted away (newest revision always kept). */
  readonly bytes: number
  /** Revisions older than this (ms since commit) are compacted away on the next write. */
  readonly maxAgeMs: number
}

/** Bytes a revision keeps alive: the values of its new versions (tombstones keep the last value too). */
function groupBytes(events: readonly WatchEvent[]): number {
  let n = 0
  for (const e of events) n += e.kv.key.length + e.kv.value.length
  return n
}

export interface ApplyResult {
  /** Empty when the operations changed nothing (deletes of absent keys). */
  readonly events: WatchEvent[]
  /** Per operation: the new value of a put, the previous value of a delete. */
  readonly kvs: (KeyValue | undefined)[]
}

/** A copy of the state at one revision, cheap to take (shares version objects). */
export interface StateView {
  readonly revision: number
  readonly compactRevision: number
  readonly keys: readonly (readonly [string, readonly KeyValue[]])[]
}

/** Values shorter than this are kept as they are when superseded (a delta would save little). */
const PACK_MIN_CHARS = 256
/**
 * Most packed versions in a row in a key's chain: unpacking one unpacks every newer one up to a
 * whole value, so one version in this many stays whole, however often the key is written.
 */
const PACK_MAX_RUN = 8

/**
 * A superseded version held as the delta from the next version of its key (`base`, whole or
 * itself packed): its value is rebuilt on each read, a few microseconds of string copies.
 */
class PackedVersion implements KeyValue {
  constructor(
    readonly key: string,
    readonly createRevision: number,
    readonly modRevision: number,
    readonly version: number,
    private readonly delta: string,
    /** The next version of the key; when that is packed in turn, this points at its packed form. */
    public base: KeyValue,
  ) {}

  get value(): string {
    return applyDelta(this.delta, this.base.value)
  }
}

/** A tombstone is a version with version number 0, as in etcd; it keeps the last value. */
export function isLive(kv: KeyValue | undefined): kv is KeyValue {
  return kv !== undefined && kv.version > 0
}

export class Mvcc {
  /** Versions per key, oldest first; the last may be applied but not yet committed. */
  private readonly chains = new Map<string, KeyValue[]>()
  /** Keys that have any retained version (for reads in the past). */
  private readonly allKeys = new SortedKeys()
  /** Keys that exist at the committed revision (for reads now, with exact counts). */
  private readonly liveKeys = new SortedKeys()
  /** The history, oldest first from `head` (slots before it are EVICTED). */
  private groups: HeldGroup[] = []
  private head = 0
  private historyEvents = 0
  private historyBytesHeld = 0
  /** Versions superseded by a committed put, oldest first, to pack once their watchers have them. */
  private toPack: KeyValue[] = []
  private packedCount = 0
  /** Bytes of keys and values that exist now (including applied, not yet committed writes). */
  liveBytes = 0

  /** Highest revision handed to a transaction (durable or not). */
  applied = 1
  /** Highest durable revision: what reads and watches see. */
  committed = 1
  /** History at or before this revision is forgotten. */
  compacted = 0

  constructor(
    private readonly bounds: HistoryBounds,
    private readonly now: () => number = Date.now,
  ) {}

  /** Latest version of a key including uncommitted ones: what transactions compare against. */
  latest(key: string): KeyValue | undefined {
    const chain = this.chains.get(key)
    return chain === undefined ? undefined : chain[chain.length - 1]
  }

  /** How much the live data would grow by applying these operations (negative when it shrinks). */
  growth(ops: readonly LoggedOp[]): number {
    let n = 0
    const seen = new Map<string, number>()
    for (const op of ops) {
      const before = seen.get(op.key) ?? (isLive(this.latest(op.key)) ? op.key.length + this.latest(op.key)!.value.length : 0)
      const after = op.type === 'put' ? op.key.length + op.value.length : 0
      n += after - before
      seen.set(op.key, after)
    }
    return n
  }

  /** Apply operations at `revision` to the version chains (not yet visible to readers). */
  apply(ops: readonly LoggedOp[], revision: number): ApplyResult {
    const events: WatchEvent[] = []
    const kvs: (KeyValue | undefined)[] = []
    for (const op of ops) {
      const prev = this.latest(op.key)
      const live = isLive(prev)
      if (live) this.liveBytes -= prev.key.length + prev.value.length
      if (op.type === 'put') {
        this.liveBytes += op.key.length + op.value.length
        const kv: KeyValue = {
          key: op.key,
          value: op.value,
          createRevision: live ? prev.createRevision : revision,
          modRevision: revision,
          version: live ? prev.version + 1 : 1,
        }
        this.push(kv)
        events.push(live ? { type: 'put', kv, prevKv: prev } : { type: 'put', kv })
        kvs.push(kv)
      } else if (live) {
        const tomb: KeyValue = { key: op.key, value: prev.value, createRevision: prev.createRevision, modRevision: revision, version: 0 }
        this.push(tomb)
        events.push({ type: 'delete', kv: tomb, prevKv: prev })
        kvs.push(prev)
      } else {
        kvs.push(undefined)
      }
    }
    if (events.length > 0) this.applied = revision
    return { events, kvs }
  }

  private push(kv: KeyValue): void {
    const chain = this.chains.get(kv.key)
    if (chain === undefined) {
      this.chains.set(kv.key, [kv])
      this.allKeys.insert(kv.key)
    } else if (chain.length < 32) {
      // A short chain is copied to its exact size: one that was pushed to keeps room for 17
      // versions, ~135 bytes for each of the thousands of keys holding one or two.
      this.chains.set(kv.key, chain.concat(kv))
    } else {
      chain.push(kv)
    }
  }

  /** Make a durable revision visible: live index, history, then trim history to its bound. */
  commit(revision: number, events: readonly WatchEvent[]): EventGroup {
    this.committed = revision
    for (const e of events) {
      if (e.type === 'delete') this.liveKeys.delete(e.kv.key)
      else if (e.prevKv === undefined) this.liveKeys.insert(e.kv.key)
    }
    // Held for up to 75 s: an array sized to its events (one, mostly), not the capacity pushes left.
    const group = this.pushGroup(revision, events.slice(), this.now())
    this.trimHistory()
    for (const e of events) if (e.type === 'put' && e.prevKv !== undefined && e.prevKv.value.length >= PACK_MIN_CHARS) this.toPack.push(e.prevKv)
    return group
  }

  /** Versions are waiting to be packed (the store calls packSuperseded() on a later turn). */
  get packPending(): boolean {
    return this.toPack.length > 0
  }

  /**
   * Replace each version superseded since the last call by its packed form, wherever the store
   * holds it: its key's chain, its own watch event and the next event's prevKv (watchers whose
   * queues hold those events get the same values, unpacked). The store calls this on the turn
   * after a commit, when the watchers' handlers have read the events' values (the watch cache
   * encodes the state before an event to match selectors), so fresh events are not unpacked.
   */
  packSuperseded(): void {
    const queue = this.toPack
    this.toPack = []
    for (const old of queue) this.pack(old)
  }

  private pack(old: KeyValue): void {
    const chain = this.chains.get(old.key)
    if (chain === undefined) return
    let i = chain.length - 2
    while (i >= 0 && chain[i] !== old) i--
    if (i < 0) return // compacted meanwhile
    const next = chain[i + 1]
    if (!isLive(next)) return // a tombstone shares the value: nothing to gain
    let run = 0
    while (run < i && chain[i - 1 - run] instanceof PackedVersion) run++
    if (run >= PACK_MAX_RUN - 1) return // stays whole, so unpacking the older ones stops here
    const value = old.value
    const delta = makeDelta(value, next.value)
    if (delta.length * 2 > value.length) return
    const packed = new PackedVersion(old.key, old.createRevision, old.modRevision, old.version, delta, next)
    chain[i] = packed
    this.packedCount++
    const before = chain[i - 1]
    if (before instanceof PackedVersion && before.base === old) before.base = packed
    for (const e of this.groupAt(old.modRevision)?.events ?? []) if (e.kv === old) (e as { kv: KeyValue }).kv = packed
    for (const e of this.groupAt(next.modRevision)?.events ?? []) if (e.prevKv === old) (e as { prevKv?: KeyValue }).prevKv = packed
  }

  /** The history's group at `revision`, if kept. */
  private groupAt(revision: number): EventGroup | undefined {
    let lo = this.head
    let hi = this.groups.length
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      if (this.groups[mid].revision < revision) lo = mid + 1
      else hi = mid
    }
    const g = this.groups[lo]
    return g !== undefined && g.revision === revision ? g : undefined
  }

  private pushGroup(revision: number, events: readonly WatchEvent[], at: number): HeldGroup {
    const group: HeldGroup = { revision, events, bytes: groupBytes(events), at }
    this.groups.push(group)
    this.historyEvents += events.length
    this.historyBytesHeld += group.bytes
    return group
  }

  /**
   * Drop whole revisions, oldest first, while history holds more than its event count, or
   * (always keeping the newest revision) more bytes than its byte bound or revisions older than
   * its age: big values written often must not grow memory and snapshots without end.
   */
  private trimHistory(): void {
    const now = this.now()
    while (this.head < this.groups.length) {
      const oldest = this.groups[this.head]
      const overCount = this.historyEvents - oldest.events.length >= this.bounds.events
      const notNewest = this.head < this.groups.length - 1
      const overBytes = notNewest && this.historyBytesHeld > this.bounds.bytes
      const tooOld = notNewest && now - oldest.at > this.bounds.maxAgeMs
      if (!overCount && !overBytes && !tooOld) break
      this.evictOldest()
    }
  }

  private evictOldest(): void {
    const g = this.groups[this.head]
    this.groups[this.head] = EVICTED
    this.historyBytesHeld -= g.bytes
    this.head++
    this.historyEvents -= g.events.length
    this.compacted = Math.max(this.compacted, g.revision)
    for (const e of g.events) this.prune(e.kv.key, g.revision)
    // Reclaim the consumed front of the array now and then rather than shifting every time.
    if (this.head > 1024 && this.head * 2 > this.groups.length) {
      this.groups = this.groups.slice(this.head)
      this.head = 0
    }
  }

  /** Drop versions of `key` superseded at or before `revision` (now compacted). */
  private prune(key: string, revision: number): void {
    const chain = this.chains.get(key)
    if (chain === undefined) return
    let drop = 0
    while (drop < chain.length && chain[drop].modRevision < revision) drop++
    if (drop < chain.length && chain[drop].version === 0 && chain[drop].modRevision <= this.compacted) drop++
    for (let i = 0; i < drop; i++) if (chain[i] instanceof PackedVersion) this.packedCount--
    if (drop > 0) chain.splice(0, drop)
    if (chain.length === 0) {
      this.chains.delete(key)
      this.allKeys.delete(key)
    }
  }

  /** Forget history at or before `revision` (≤ committed). */
  compact(revision: number): void {
    while (this.head < this.groups.length && this.groups[this.head].revision <= revision) this.evictOldest()
    this.compacted = Math.max(this.compacted, revision)
  }

  /** Version of `key` visible at `revision`, or undefined when absent then. */
  getAt(key: string, revision: number): KeyValue | undefined {
    const chain = this.chains.get(key)
    if (chain === undefined) return undefined
    const v = versionAt(chain, revision)
    return isLive(v) ? v : undefined
  }

  checkReadable(revision: number): void {
    if (revision < this.compacted) {
      throw new StoreError(
        'compacted',
        `revision ${revision} has been compacted (oldest readable is ${this.compacted}); read at the latest revision instead`,
        this.compacted,
      )
    }
    if (revision > this.committed) {
      throw new StoreError('too-large', `revision ${revision} is newer than the latest revision ${this.committed}; retry later or read at the latest revision`)
    }
  }

  range(prefix: string, opts: RangeOptions = {}): RangeResult {
    const at = opts.revision ?? this.committed
    this.checkReadable(at)
    const limit = opts.limit !== undefined && opts.limit > 0 ? opts.limit : Infinity
    const current = at === this.committed
    // Reads now walk only live keys and count by index rank; reads in the past must check each
    // retained key's version and therefore count by scanning the prefix.
    const index = current ? this.liveKeys : this.allKeys
    const kvs: KeyValue[] = []
    let more = false
    const startAfter = opts.startAfter !== undefined && opts.startAfter >= prefix ? opts.startAfter : undefined
    const cur = startAfter !== undefined ? index.lowerBound(startAfter, true) : index.lowerBound(prefix, false)
    let scanned = 0
    for (let key = index.at(cur); key !== undefined && key.startsWith(prefix); index.next(cur), key = index.at(cur)) {
      const kv = this.getAt(key, at)
      if (kv === undefined) continue
      if (kvs.length >= limit) {
        more = true
        if (current) break
        scanned++
        continue
      }
      kvs.push(kv)
    }
    let count: number
    if (current) {
      const lo = index.rank(index.lowerBound(prefix, false))
      const end = prefixEnd(prefix)
      const hi = end === undefined ? index.size : index.rank(index.lowerBound(end, false))
      count = hi - lo
    } else {
      let before = 0
      if (startAfter !== undefined) {
        const c = index.lowerBound(prefix, false)
        for (let key = index.at(c); key !== undefined && key <= startAfter; index.next(c), key = index.at(c)) {
          if (this.getAt(key, at) !== undefined) before++
        }
      }
      count = before + kvs.length + scanned
    }
    return { kvs, revision: at, more, count }
  }

  /** Groups with revision > `after`, oldest first. Caller checks `after` ≥ compacted. */
  groupsAfter(after: number): EventGroup[] {
    let lo = this.head
    let hi = this.groups.length
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      if (this.groups[mid].revision <= after) lo = mid + 1
      else hi = mid
    }
    return this.groups.slice(lo)
  }

  get keyCount(): number {
    return this.liveKeys.size
  }

  get historySize(): number {
    return this.historyEvents
  }

  /** Superseded versions held packed (as deltas). */
  get packedVersions(): number {
    return this.packedCount
  }

  /** Bytes of values the watch history keeps alive. */
  get historyBytes(): number {
    return this.historyBytesHeld
  }

  /** Every retained version up to `revision`, in key order, for a snapshot. */
  view(revision: number): StateView {
    const keys: (readonly [string, readonly KeyValue[]])[] = []
    for (const key of this.allKeys.keys()) {
      const chain = this.chains.get(key)
      if (chain === undefined) continue
      let n = chain.length
      while (n > 0 && chain[n - 1].modRevision > revision) n--
      if (n > 0) keys.push([key, n === chain.length ? chain.slice() : chain.slice(0, n)])
    }
    return { revision, compactRevision: this.compacted, keys }
  }

  /** Load one key from a snapshot (before any transaction runs). */
  loadKey(key: string, versions: readonly KeyValue[]): void {
    if (versions.length === 0) return
    this.chains.set(key, versions.slice())
    this.allKeys.insert(key)
    const last = versions[versions.length - 1]
    if (isLive(last)) {
      this.liveKeys.insert(key)
      this.liveBytes += key.length + last.value.length
    }
  }

  /** After loading a snapshot: set revisions and rebuild the watch history from the versions. */
  finishLoad(revision: number, compactRevision: number): void {
    this.applied = revision
    this.committed = revision
    this.compacted = compactRevision
    const byRevision = new Map<number, WatchEvent[]>()
    for (const chain of this.chains.values()) {
      for (let i = 0; i < chain.length; i++) {
        const kv = chain[i]
        if (kv.modRevision <= compactRevision) continue
        const prev = i > 0 && isLive(chain[i - 1]) ? chain[i - 1] : undefined
        const event: WatchEvent = kv.version === 0 ? { type: 'delete', kv, prevKv: prev } : prev ? { type: 'put', kv, prevKv: prev } : { type: 'put', kv }
        const list = byRevision.get(kv.modRevision)
        if (list) list.push(event)
        else byRevision.set(kv.modRevision, [event])
      }
    }
    const revisions = [...byRevision.keys()].sort((a, b) => a - b)
    this.groups = []
    this.head = 0
    this.historyEvents = 0
    this.historyBytesHeld = 0
    // Commit times are not in snapshots: loaded history counts as written now.
    const at = this.now()
    for (const r of revisions) this.pushGroup(r, byRevision.get(r) ?? [], at)
    this.trimHistory()
  }
}

function versionAt(chain: readonly KeyValue[], revision: number): KeyValue | undefined {
  const last = chain[chain.length - 1]
  if (last.modRevision <= revision) return last
  let lo = 0
  let hi = chain.length
  while (lo < hi) {
    const mid = (lo + hi) >> 1
    if (chain[mid].modRevision <= revision) lo = mid + 1
    else hi = mid
  }
  return lo === 0 ? undefined : chain[lo - 1]
}
