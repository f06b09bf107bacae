// The watch cache (the role of upstream's cacher): every object the API server answers with is
// encoded once per stored version — decoded, converted to the served version, given its
// apiVersion/kind and resourceVersion, and serialized — and that JSON text is reused by every
// get, list and watch event that serves the same (key, modRevision) until the object changes.
// When that text is the stored value with one short edit (its resourceVersion), the entry holds
// the edit on the store's own string instead of a copy.
// Selectors, Tables and in-process watchers read the object parsed once from that text (or the
// object it was serialized from, when parsing would give back the same), kept for one turn.
//
// The objects themselves stay where they are: with the embedded store (a CommitFeed) lists and
// gets read its in-memory state, which is exactly as current as a consistent read, so lists
// with or without a resourceVersion are answered from memory with no parse per object; the
// commit feed drops the encodings of objects as soon as they change. With etcd the keys and
// revisions still come from etcd and only the encoding work is saved. Bounded by entries and
// bytes: past either bound, whole resources are evicted, least recently used first.
import type { KubeObject } from '../../api/object'
import { apiVersionOf, resourcesGeneration, type ResourceInfo } from '../../api/resources'
import type { CommitFeed, KeyValue, RangeResult, WatchEvent } from '../../store/types'
import { decodeValueFor, resourcePrefix } from '../registry/objects'
import { withTypeMeta } from '../type-meta'
import { selectorAttrs, type SelectorAttrs } from '../handlers/filters'
import { commonPrefix, commonSuffix } from '../../store/delta'
import { hasConverter } from '../../api/conversion'
import { hasGoShape } from '../../api/go-shape'

/** One stored version of an object as served: its JSON text, and the object once something needed it. */
export interface Encoded {
  readonly key: string
  readonly modRevision: number
  /** The object as served (apiVersion/kind, resourceVersion), serialized. */
  readonly json: string
  /** json.length, without building the text. */
  readonly jsonLength: number
  /** JSON.parse(json), for the turn of the event loop that asked for it. Shared: never modify it. */
  obj?: KubeObject
  /** What selectors read of the object, kept once asked for. */
  attrs?: SelectorAttrs
}

/** An encoding held as its own text. */
class WholeEncoding implements Encoded {
  obj?: KubeObject
  attrs?: SelectorAttrs
  constructor(
    readonly key: string,
    readonly modRevision: number,
    readonly json: string,
  ) {}

  get jsonLength(): number {
    return this.json.length
  }
}

/**
 * An encoding that is the stored value with one short edit — usually just its resourceVersion put
 * into metadata, as objects are stored with their apiVersion and kind and served in the stored
 * version — held as that edit on the store's own string rather than as a second copy of the text
 * (the JSON is put together when asked for: one copy, as writing it to a socket makes anyway).
 */
class SplicedEncoding implements Encoded {
  obj?: KubeObject
  attrs?: SelectorAttrs
  constructor(
    readonly key: string,
    readonly modRevision: number,
    private readonly stored: string,
    private readonly head: number,
    private readonly middle: string,
    private readonly tail: number,
  ) {}

  get json(): string {
    return this.stored.slice(0, this.head) + this.middle + this.stored.slice(this.stored.length - this.tail)
  }

  get jsonLength(): number {
    return this.head + this.middle.length + this.tail
  }
}

/**
 * An older version (the state before a watch event), which the watchers of the event mostly read
 * only through selectors: its object (what parsing the text gives back: the served version is
 * the stored one) is made at once, its JSON text only if something asks for it.
 */
class LazyEncoding implements Encoded {
  obj?: KubeObject
  attrs?: SelectorAttrs
  private text: string | undefined
  constructor(
    private readonly res: ResourceInfo,
    private readonly kv: KeyValue,
  ) {}

  get key(): string {
    return this.kv.key
  }

  get modRevision(): number {
    return this.kv.modRevision
  }

  get json(): string {
    this.text ??= JSON.stringify(this.obj ?? servedObject(this.res, this.kv.value, this.kv.modRevision))
    return this.text
  }

  get jsonLength(): number {
    return this.json.length
  }
}

/** Longest edit of the stored value an encoding is kept as (beyond it, the text is kept whole). */
const SPLICE_MAX_CHARS = 128

/** `json`, the encoding of the stored `value`, held as an edit of `value` when it is one short edit away. */
function holdEncoding(key: string, modRevision: number, json: string, value: string): Encoded {
  if (json.length >= 1024 && value.length >= 1024) {
    const head = commonPrefix(json, value)
    const tail = commonSuffix(json, value, head)
    const middle = json.length - head - tail
    // Sliced out of the encoding, the middle would keep all of it alive: copy it to a string of its own.
    if (middle <= SPLICE_MAX_CHARS) return new SplicedEncoding(key, modRevision, value, head, flatCopy(json.slice(head, head + middle)), tail)
  }
  return new WholeEncoding(key, modRevision, json)
}

/** A string with the same text that does not point into `s`'s parent (V8 keeps slices of 13+ chars as views). */
function flatCopy(s: string): string {
  return s.length < 13 ? s : Buffer.from(s, 'utf8').toString('utf8')
}

export interface WatchCacheBounds {
  /** Most encoded objects kept. Default 50 000. */
  readonly maxObjects?: number
  /** Most bytes kept (the JSON text, and an estimate of the parsed objects). Default 64 MiB. */
  readonly maxBytes?: number
}

class ResourceCache {
  readonly entries = new Map<string, Encoded>()
  /**
   * Entries a newer version replaced, by key, until the watchers of that change have had their
   * events (WatchCache.supersede): the state before the event, which a watcher with a selector
   * reads, is then the entry it already was — its text and selector attributes — not parsed again.
   */
  superseded = new Map<string, Encoded>()
  /** What `superseded` held before the last turn over (kept one more: see WatchCache.supersede). */
  supersededBefore = new Map<string, Encoded>()

  supersededAt(key: string, modRevision: number): Encoded | undefined {
    const e = this.superseded.get(key) ?? this.supersededBefore.get(key)
    return e !== undefined && e.modRevision === modRevision ? e : undefined
  }
  bytes = 0
  used = 0
  /**
   * How a stored value this server wrote starts when serving it only puts resourceVersion into
   * its metadata (see splicedWrite); undefined when serving may change more.
   */
  readonly splicedHead: string | undefined
  constructor(
    readonly res: ResourceInfo,
    readonly prefix: string,
  ) {
    const servedAsStored = res.dynamic === undefined && res.storedIn === undefined && !hasConverter(res) && !hasGoShape(res.group, res.kind)
    this.splicedHead = servedAsStored ? `{"apiVersion":${JSON.stringify(apiVersionOf(res))},"kind":${JSON.stringify(res.kind)},"metadata":` : undefined
  }
}

/**
 * The encoding of a value this server wrote, whose metadata's text ends at `metaEnd`, without
 * parsing or serializing it: served as stored (no converter, not a custom resource, no Go-shape
 * status fields) and starting with the served apiVersion, kind and metadata, the value parses to
 * an object that the read path only gives a resourceVersion, last in metadata, and serializing
 * that object again gives the value back (it was written by JSON.stringify) with
 * `,"resourceVersion":"N"` before metadata's closing brace. Undefined when that does not hold.
 */
function splicedWrite(rc: ResourceCache, kv: KeyValue, metaEnd: number): Encoded | undefined {
  const value = kv.value
  if (rc.splicedHead === undefined || metaEnd <= rc.splicedHead.length || value.charCodeAt(metaEnd - 1) !== 125 /* } */) return undefined
  if (!value.startsWith(rc.splicedHead)) return undefined
  const empty = value.charCodeAt(metaEnd - 2) === 123 /* {: metadata is {} */
  const middle = `${empty ? '' : ','}"resourceVersion":"${kv.modRevision}"`
  return new SplicedEncoding(kv.key, kv.modRevision, value, metaEnd - 1, middle, value.length - metaEnd + 1)
}

/** The stored `value` as `res` serves it at `rev` (apiVersion/kind, resourceVersion). */
function servedObject(res: ResourceInfo, value: string, rev: number): KubeObject {
  return withTypeMeta(res, decodeValueFor(res, value, rev))
}

function encode(res: ResourceInfo, kv: KeyValue, rev: number): Encoded {
  const value = kv.value
  return holdEncoding(kv.key, rev, JSON.stringify(servedObject(res, value, rev)), value)
}

/**
 * encode(), and the object it serialized when that object is exactly what parsing its JSON
 * gives back: built only from JSON.parse of the stored value, spreads and string/number/{}
 * fields, which holds when the served version is the stored one (no converter, not a custom
 * resource: those may set fields to undefined).
 */
function encodeWithObject(res: ResourceInfo, kv: KeyValue, rev: number): { encoded: Encoded; obj: KubeObject | undefined } {
  const value = kv.value
  const obj = servedObject(res, value, rev)
  const encoded = holdEncoding(kv.key, rev, JSON.stringify(obj), value)
  return { encoded, obj: res.dynamic === undefined && !hasConverter(res) ? obj : undefined }
}

/** An entry's cost: its JSON text and key (and a little for the selector attributes). */
function entryBytes(e: Encoded): number {
  return e.jsonLength + e.key.length + 64
}

export class WatchCache {
  private readonly resources = new Map<ResourceInfo, ResourceCache>()
  private readonly maxObjects: number
  private readonly maxBytes: number
  private objects = 0
  private bytes = 0
  private generation = resourcesGeneration()
  private tick = 0
  private readonly stopFeed: (() => void) | undefined
  /**
   * Deleted objects as watch events show them (last state, resourceVersion = deletion) and
   * versions older than the one held for their key (the state before an event, to match a
   * watcher's selector): shared by the watchers that get the same events, which the store's watch
   * hub hands them in one turn of the event loop, and forgotten after that turn. (Kept as long as
   * the store's history held the version, they and their parsed objects grew with the history:
   * most of the cache's memory at a few thousand pods.)
   */
  private readonly deletions = new Map<KeyValue, Encoded>()
  private readonly older = new Map<KeyValue, Encoded>()
  /** Entries whose parsed object this turn asked for. */
  private parsed: Encoded[] = []
  private forgetScheduled = false
  private supersededScheduled = false
  /**
   * Whole collections as a list body's items (the encodings joined with ',', as UTF-8 bytes ready
   * to send), per prefix: kept
   * until a commit changes a key under the prefix, so a list of a collection that did not change
   * since the last one is not put together again (embedded store only: its commit feed says
   * what changed). Bounded apart from the encodings, by a quarter of maxBytes.
   */
  private readonly joined = new Map<string, { res: ResourceInfo; items: Buffer; count: number }>()
  private joinedBytes = 0

  constructor(
    /** The embedded store: lists and gets are read from its memory, and its commits drop stale encodings. */
    readonly feed: CommitFeed | undefined,
    bounds: WatchCacheBounds = {},
  ) {
    this.maxObjects = bounds.maxObjects ?? 50_000
    this.maxBytes = bounds.maxBytes ?? 64 * 1024 * 1024
    this.stopFeed = feed?.onCommit((events) => this.invalidate(events))
  }

  close(): void {
    this.stopFeed?.()
    this.clear()
  }

  stats(): { resources: number; objects: number; bytes: number } {
    return { resources: this.resources.size, objects: this.objects, bytes: this.bytes }
  }

  /** The live objects under `prefix` at the committed revision, from memory (embedded store only). */
  rangeNow(prefix: string): RangeResult | undefined {
    return this.feed?.rangeNow(prefix)
  }

  /**
   * Every live object under `prefix` as `res` serves it, joined as a list's items, current at
   * the committed revision returned (embedded store only; undefined otherwise).
   */
  joinedNow(res: ResourceInfo, prefix: string): { items: Buffer; count: number; revision: number } | undefined {
    if (this.feed === undefined) return undefined
    this.cacheFor(res) // a CRD change drops what was joined
    const hit = this.joined.get(prefix)
    if (hit !== undefined && hit.res === res) return { items: hit.items, count: hit.count, revision: this.feed.revisionNow() }
    const listed = this.feed.rangeNow(prefix)
    const parts: string[] = new Array<string>(listed.kvs.length)
    for (let i = 0; i < listed.kvs.length; i++) parts[i] = this.encoded(res, listed.kvs[i]!).json
    const items = Buffer.from(parts.join(','))
    if (hit !== undefined) this.dropJoined(prefix)
    if (items.length <= this.maxBytes / 4) {
      while (this.joinedBytes + items.length > this.maxBytes / 4) this.dropJoined(this.joined.keys().next().value!)
      this.joined.set(prefix, { res, items, count: parts.length })
      this.joinedBytes += items.length
    }
    return { items, count: parts.length, revision: listed.revision }
  }

  private dropJoined(prefix: string): void {
    const j = this.joined.get(prefix)
    if (j === undefined) return
    this.joined.delete(prefix)
    this.joinedBytes -= j.items.length
  }

  /** The encoding held for `key` at `modRevision`, if any (a remote store's keys-only list then needs no value). */
  held(res: ResourceInfo, key: string, modRevision: number): Encoded | undefined {
    const cur = this.cacheFor(res).entries.get(key)
    return cur !== undefined && cur.modRevision === modRevision ? cur : undefined
  }

  /** `kv` as `res` serves it, encoded once and shared. */
  encoded(res: ResourceInfo, kv: KeyValue): Encoded {
    const rc = this.cacheFor(res)
    const cur = rc.entries.get(kv.key)
    if (cur !== undefined && cur.modRevision === kv.modRevision) return cur
    if (cur === undefined || cur.modRevision > kv.modRevision) {
      // The state before an update or delete, held until the watchers of that change had it.
      const was = rc.supersededAt(kv.key, kv.modRevision)
      if (was !== undefined) return was
    }
    if (cur !== undefined && cur.modRevision > kv.modRevision) {
      // An older version (the state before a watch event, or history replayed): shared by the
      // watchers that see the same event, kept only while the store keeps that version.
      let old = this.older.get(kv)
      if (old === undefined) {
        if (res.dynamic === undefined && !hasConverter(res)) {
          old = new LazyEncoding(res, kv)
          this.keepObject(old, servedObject(res, kv.value, kv.modRevision))
        } else {
          const made = encodeWithObject(res, kv, kv.modRevision)
          old = made.encoded
          if (made.obj !== undefined) this.keepObject(old, made.obj)
        }
        this.older.set(kv, old)
        this.forgetTransientSoon()
      }
      return old
    }
    // A new version is usually encoded for the watchers of its event, which (in-process
    // informers, selectors) then ask for its object: keep the one just serialized for this turn
    // rather than parse the text again.
    const { encoded: e, obj } = encodeWithObject(res, kv, kv.modRevision)
    if (obj !== undefined) this.keepObject(e, obj)
    if (cur !== undefined) this.supersede(rc, cur)
    this.add(rc, e)
    return e
  }

  /**
   * A version this server has just written (ObjectStore's write hook, `metaEnd` where its
   * metadata ends in the stored text, -1 when unknown): its encoding is held at once when it can
   * be put together from that text (splicedWrite), with no parse and no serialization, for the
   * write's answer and its watch events (whose watchers parse it when they need the object).
   * Otherwise the first reader encodes it, as any version.
   */
  primeWritten(res: ResourceInfo, kv: KeyValue, metaEnd: number): void {
    if (metaEnd < 0) return
    const rc = this.cacheFor(res)
    const cur = rc.entries.get(kv.key)
    if (cur !== undefined && cur.modRevision >= kv.modRevision) return
    const e = splicedWrite(rc, kv, metaEnd)
    if (e === undefined) return
    if (cur !== undefined) this.supersede(rc, cur)
    this.add(rc, e)
  }

  private keepObject(e: Encoded, obj: KubeObject): void {
    e.obj = obj
    this.parsed.push(e)
    this.forgetTransientSoon()
  }

  /**
   * The parsed object of an entry (Tables, metadata-only answers), shared with whatever asks
   * in the same turn of the event loop (the watchers of one event) and then let go: kept with
   * every entry, parsed objects were most of the cache's memory (3× their JSON text).
   */
  object(res: ResourceInfo, encoded: Encoded): KubeObject {
    if (encoded.obj !== undefined) return encoded.obj
    const obj = JSON.parse(encoded.json) as KubeObject
    this.keepObject(encoded, obj)
    return obj
  }

  /** What label and field selectors read of an entry's object, kept with it (each version is parsed for it once). */
  attrs(res: ResourceInfo, encoded: Encoded): SelectorAttrs {
    if (encoded.attrs === undefined) encoded.attrs = selectorAttrs(res, this.object(res, encoded))
    return encoded.attrs
  }

  /** A deleted object as watch events show it: its last state with the deletion's resourceVersion. */
  deleted(res: ResourceInfo, ev: WatchEvent): Encoded {
    const tomb = ev.kv
    let e = this.deletions.get(tomb)
    if (e === undefined) {
      const last = ev.prevKv ?? tomb
      e = encode(res, last, tomb.modRevision)
      this.deletions.set(tomb, e)
      this.forgetTransientSoon()
    }
    return e
  }

  private forgetTransientSoon(): void {
    if (this.forgetScheduled) return
    this.forgetScheduled = true
    setImmediate(() => {
      this.forgetScheduled = false
      this.older.clear()
      this.deletions.clear()
      for (const e of this.parsed) e.obj = undefined
      this.parsed = []
    }).unref()
  }

  private cacheFor(res: ResourceInfo): ResourceCache {
    const gen = resourcesGeneration()
    if (gen !== this.generation) {
      // A CRD changed how its objects are served (defaults, versions): start afresh.
      this.clear()
      this.generation = gen
    }
    let rc = this.resources.get(res)
    if (rc === undefined) {
      rc = new ResourceCache(res, resourcePrefix(res))
      this.resources.set(res, rc)
    }
    rc.used = ++this.tick
    return rc
  }

  private add(rc: ResourceCache, e: Encoded): void {
    rc.entries.set(e.key, e)
    this.account(rc, entryBytes(e), 1)
    this.enforce(rc)
  }

  /**
   * Drop `e`, which a newer version of its key replaced, keeping it aside until the watch events
   * of that change were handed out: commits drop entries (invalidate) before the store's watch
   * hub delivers their events on a later immediate, so what is set aside is let go after two
   * to four immediates. (Only a saving: an older version not found here is decoded as before.)
   */
  private supersede(rc: ResourceCache, e: Encoded): void {
    this.remove(rc, e)
    rc.superseded.set(e.key, e)
    this.turnSupersededSoon()
  }

  private turnSupersededSoon(): void {
    if (this.supersededScheduled) return
    this.supersededScheduled = true
    setImmediate(() =>
      setImmediate(() => {
        this.supersededScheduled = false
        let left = false
        for (const rc of this.resources.values()) {
          if (rc.superseded.size === 0 && rc.supersededBefore.size === 0) continue
          rc.supersededBefore = rc.superseded
          rc.superseded = new Map()
          left ||= rc.supersededBefore.size > 0
        }
        if (left) this.turnSupersededSoon()
      }).unref(),
    ).unref()
  }

  private remove(rc: ResourceCache, e: Encoded): void {
    rc.entries.delete(e.key)
    this.account(rc, -entryBytes(e), -1)
  }

  private account(rc: ResourceCache, bytes: number, objects: number): void {
    rc.bytes += bytes
    this.bytes += bytes
    this.objects += objects
  }

  /** Past a bound: evict the least recently used resources, then, if `keep` alone is too big, its oldest entries. */
  private enforce(keep: ResourceCache): void {
    if (this.objects <= this.maxObjects && this.bytes <= this.maxBytes) return
    const byAge = [...this.resources.values()].filter((rc) => rc !== keep).sort((a, b) => a.used - b.used)
    for (const rc of byAge) {
      if (this.objects <= this.maxObjects && this.bytes <= this.maxBytes) return
      this.drop(rc)
    }
    for (const e of keep.entries.values()) {
      if (this.objects <= this.maxObjects && this.bytes <= this.maxBytes) return
      this.remove(keep, e)
    }
  }

  private drop(rc: ResourceCache): void {
    this.resources.delete(rc.res)
    this.bytes -= rc.bytes
    this.objects -= rc.entries.size
  }

  private clear(): void {
    this.older.clear()
    this.deletions.clear()
    this.joined.clear()
    this.joinedBytes = 0
    this.resources.clear()
    this.objects = 0
    this.bytes = 0
  }

  /** A committed revision: encodings of the keys it changed are stale. */
  private invalidate(events: readonly WatchEvent[]): void {
    if (this.joined.size > 0) {
      for (const ev of events) {
        for (const prefix of this.joined.keys()) if (ev.kv.key.startsWith(prefix)) this.dropJoined(prefix)
      }
    }
    if (this.objects === 0) return
    for (const ev of events) {
      for (const rc of this.resources.values()) {
        if (!ev.kv.key.startsWith(rc.prefix)) continue
        const e = rc.entries.get(ev.kv.key)
        if (e !== undefined && e.modRevision < ev.kv.modRevision) this.supersede(rc, e)
      }
    }
  }
}
