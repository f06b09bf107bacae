// Objects in the store: where each lives (its key), how it is serialized, and resourceVersion
// = the store revision of its last write (stamped on read, never stored).
import type { KubeObject } from '../../api/object'
import { fromStorage, toStorage } from '../../api/conversion'
import type { ResourceInfo } from '../../api/resources'
import type { KeyValue, Storage } from '../../store/types'
import { errors } from '../status'

export interface Stored {
  readonly obj: KubeObject
  readonly kv: KeyValue
}

export function resourcePrefix(res: Pick<ResourceInfo, 'group' | 'plural'> & Partial<Pick<ResourceInfo, 'storedIn'>>): string {
  const at = res.storedIn ?? res
  return `/registry/${at.group || 'core'}/${at.plural}/`
}

export function collectionPrefix(res: ResourceInfo, namespace?: string): string {
  const base = resourcePrefix(res)
  return res.namespaced && namespace ? `${base}${namespace}/` : base
}

export function storageKey(res: ResourceInfo, namespace: string | undefined, name: string): string {
  return res.namespaced ? `${resourcePrefix(res)}${namespace}/${name}` : `${resourcePrefix(res)}${name}`
}

export function decodeKv(kv: KeyValue, rev = kv.modRevision): KubeObject {
  return decodeValue(kv.value, rev)
}

function decodeValue(value: string, rev: number): KubeObject {
  const obj = JSON.parse(value) as KubeObject
  obj.metadata = { ...(obj.metadata ?? {}), resourceVersion: String(rev) }
  return obj
}

/** Decode a stored value as `res`'s version serves it. */
export function decodeFor(res: ResourceInfo, kv: KeyValue, rev = kv.modRevision): KubeObject {
  return fromStorage(res, decodeKv(kv, rev))
}

/** decodeFor() of a value already read from its key-value (an old version's value is rebuilt on each read). */
export function decodeValueFor(res: ResourceInfo, value: string, rev: number): KubeObject {
  return fromStorage(res, decodeValue(value, rev))
}

/** A value to store, and where its metadata's text ends (the index just past its closing brace) when known, else -1. */
export interface Encoding {
  readonly value: string
  readonly metaEnd: number
}

function encodeFor(res: ResourceInfo, obj: KubeObject): Encoding {
  const stored = toStorage(res, obj)
  return stored === obj ? encodeMarked(obj) : { value: encode(stored), metaEnd: -1 }
}

function encode(obj: KubeObject): string {
  const meta = { ...(obj.metadata ?? {}) }
  delete meta.resourceVersion
  return JSON.stringify({ ...obj, metadata: meta })
}

/**
 * encode(), and where metadata ends in the text, for an object whose first keys are apiVersion,
 * kind and metadata (as objects written through the API have them): the same text, written as
 * JSON.stringify writes those keys and then the rest, so the position comes with it. The watch
 * cache serves the version by putting resourceVersion there (WatchCache.primeWritten).
 */
function encodeMarked(obj: KubeObject): Encoding {
  const keys = Object.keys(obj)
  const { apiVersion, kind } = obj
  if (keys[0] !== 'apiVersion' || keys[1] !== 'kind' || keys[2] !== 'metadata' || typeof apiVersion !== 'string' || typeof kind !== 'string') {
    return { value: encode(obj), metaEnd: -1 }
  }
  const { apiVersion: _apiVersion, kind: _kind, metadata, ...rest } = obj
  const meta = { ...(metadata ?? {}) }
  delete meta.resourceVersion
  const head = `{"apiVersion":${JSON.stringify(apiVersion)},"kind":${JSON.stringify(kind)},"metadata":${JSON.stringify(meta)}`
  const tail = JSON.stringify(rest)
  return { value: tail === '{}' ? head + '}' : head + ',' + tail.slice(1), metaEnd: head.length }
}

/** What a create or update stored for the object it returned. */
export interface Written {
  readonly kv: KeyValue
  /** Encoding.metaEnd of kv.value. */
  readonly metaEnd: number
}

/** How many decoded objects the shared reads keep. */
const SHARED_DECODED = 1024

export class ObjectStore {
  /** Decoded objects of the shared reads, per served version and key, valid for one stored revision. */
  private readonly shared = new Map<string, { readonly rev: number; readonly obj: KubeObject }>()
  /** What was stored for each object create() and update() returned (see written). */
  private readonly writes = new WeakMap<KubeObject, Written>()

  constructor(
    readonly store: Storage,
    /** Told of every object create() and update() stored (the watch cache holds its encoding at once). */
    private readonly onWritten?: (res: ResourceInfo, written: Written) => void,
  ) {}

  private decodeShared(res: ResourceInfo, kv: KeyValue): KubeObject {
    const key = `${res.group}/${res.version}|${kv.key}`
    const hit = this.shared.get(key)
    if (hit?.rev === kv.modRevision) return hit.obj
    const obj = decodeFor(res, kv)
    this.shared.delete(key)
    this.shared.set(key, { rev: kv.modRevision, obj })
    if (this.shared.size > SHARED_DECODED) this.shared.delete(this.shared.keys().next().value as string)
    return obj
  }

  /**
   * get() for readers that never change what they get (admission looking up a ServiceAccount or
   * PriorityClasses on every pod create, as upstream's plugins read informer caches): an object
   * is decoded once per stored revision and the same object handed to every such reader.
   */
  async getShared(res: ResourceInfo, namespace: string | undefined, name: string): Promise<Stored | undefined> {
    const kv = await this.store.get(storageKey(res, namespace, name))
    return kv ? { obj: this.decodeShared(res, kv), kv } : undefined
  }

  /** list() for readers that never change what they get (see getShared). */
  async listShared(res: ResourceInfo, namespace: string | undefined): Promise<{ items: Stored[]; revision: number }> {
    const r = await this.store.range(collectionPrefix(res, namespace), {})
    return { items: r.kvs.map((kv) => ({ obj: this.decodeShared(res, kv), kv })), revision: r.revision }
  }

  async get(res: ResourceInfo, namespace: string | undefined, name: string): Promise<Stored | undefined> {
    const kv = await this.store.get(storageKey(res, namespace, name))
    return kv ? { obj: decodeFor(res, kv), kv } : undefined
  }

  /** The stored key-value, not decoded (for callers that need only a little of it). */
  getKv(res: ResourceInfo, namespace: string | undefined, name: string): Promise<KeyValue | undefined> {
    return this.store.get(storageKey(res, namespace, name))
  }

  async mustGet(res: ResourceInfo, namespace: string | undefined, name: string): Promise<Stored> {
    const s = await this.get(res, namespace, name)
    if (!s) throw errors.notFound(res, name)
    return s
  }

  /**
   * What was stored for an object returned by create() or update(): a write is answered with the
   * watch cache's encoding of it, which the watch events of that version then reuse, instead of
   * serializing the returned object once more.
   */
  written(obj: KubeObject): Written | undefined {
    return this.writes.get(obj)
  }

  private stored(res: ResourceInfo, obj: KubeObject, revision: number, kv: KeyValue | undefined, metaEnd: number): KubeObject {
    const out = { ...obj, metadata: { ...obj.metadata, resourceVersion: String(revision) } }
    if (kv !== undefined && kv.modRevision === revision) {
      const w = { kv, metaEnd }
      this.writes.set(out, w)
      this.onWritten?.(res, w)
    }
    return out
  }

  /** Create; 409 AlreadyExists when the key is taken. */
  async create(res: ResourceInfo, obj: KubeObject): Promise<KubeObject> {
    const key = storageKey(res, obj.metadata?.namespace, obj.metadata!.name!)
    const e = encodeFor(res, obj)
    const r = await this.store.txn([{ key, target: 'exists', equals: false }], [{ type: 'put', key, value: e.value }])
    if (!r.succeeded) throw errors.alreadyExists(res, obj.metadata!.name!)
    return this.stored(res, obj, r.revision, r.kvs[0], e.metaEnd)
  }

  /** Compare-and-swap update; undefined when the object changed since `expectedRev`. */
  async update(res: ResourceInfo, obj: KubeObject, expectedRev: number): Promise<KubeObject | undefined> {
    const key = storageKey(res, obj.metadata?.namespace, obj.metadata!.name!)
    const e = encodeFor(res, obj)
    const r = await this.store.txn([{ key, target: 'modRevision', equals: expectedRev }], [{ type: 'put', key, value: e.value }])
    if (!r.succeeded) return undefined
    return this.stored(res, obj, r.revision, r.kvs[0], e.metaEnd)
  }

  /** Compare-and-swap delete; the deleted object (resourceVersion = deletion revision), or undefined on conflict. */
  async delete(res: ResourceInfo, obj: KubeObject, expectedRev: number): Promise<KubeObject | undefined> {
    const key = storageKey(res, obj.metadata?.namespace, obj.metadata!.name!)
    const r = await this.store.txn([{ key, target: 'modRevision', equals: expectedRev }], [{ type: 'delete', key }])
    if (!r.succeeded) return undefined
    return { ...obj, metadata: { ...obj.metadata, resourceVersion: String(r.revision) } }
  }

  async list(
    res: ResourceInfo,
    namespace: string | undefined,
    opts: { revision?: number; startAfter?: string } = {},
  ): Promise<{ items: Stored[]; revision: number }> {
    const r = await this.store.range(collectionPrefix(res, namespace), { revision: opts.revision, startAfter: opts.startAfter })
    return { items: r.kvs.map((kv) => ({ obj: decodeFor(res, kv), kv })), revision: r.revision }
  }
}
