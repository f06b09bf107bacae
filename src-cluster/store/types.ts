// The storage interface the API server is written against: the subset of etcd v3 that
// Kubernetes uses (one global revision, range by prefix, compare-and-swap transactions,
// watch from a revision, compaction). The embedded store (store.ts) and the etcd v3 backend
// (etcd.ts) implement it; test/integration/store-conformance.test.ts holds both to it.

export interface KeyValue {
  readonly key: string
  /** Serialized object (JSON text). */
  readonly value: string
  /** Revision of the write that created the key. */
  readonly createRevision: number
  /** Revision of the last write to the key: the object's resourceVersion. */
  readonly modRevision: number
  /** Number of writes since creation (1 after create). */
  readonly version: number
}

export interface RangeOptions {
  /** Most keys to return; 0 or absent means all. */
  readonly limit?: number
  /** Return keys strictly greater than this (for paginated lists). */
  readonly startAfter?: string
  /** Read as of this revision (must be ≥ compacted revision, else 'compacted'; newer than latest gives 'too-large'); absent means latest. */
  readonly revision?: number
}

export interface RangeResult {
  readonly kvs: readonly KeyValue[]
  /** Store revision the range was read at. */
  readonly revision: number
  /** More keys match beyond `limit`. */
  readonly more: boolean
  /** Keys matching the prefix in total (ignoring limit/startAfter). */
  readonly count: number
}

/** A condition on one key, checked atomically before a transaction's operations. */
export type Compare =
  | { readonly key: string; readonly target: 'modRevision'; readonly equals: number } // 0 = key absent
  | { readonly key: string; readonly target: 'exists'; readonly equals: boolean }

export type Op = { readonly type: 'put'; readonly key: string; readonly value: string } | { readonly type: 'delete'; readonly key: string }

export interface TxnResult {
  readonly succeeded: boolean
  /** Store revision after the transaction (unchanged when it did not write). */
  readonly revision: number
  /** Key values after each put (modRevision = new revision) or before each delete, when succeeded; current values of compared keys when not. */
  readonly kvs: readonly (KeyValue | undefined)[]
}

export interface WatchEvent {
  readonly type: 'put' | 'delete'
  /** For put: the new value; for delete: key and the deletion revision as modRevision, value of the last state, version 0. */
  readonly kv: KeyValue
  /** State before this event (absent on create). */
  readonly prevKv?: KeyValue
}

export interface WatchOptions {
  /** Deliver events with revision > afterRevision. Older than the history → StoreError 'compacted'. */
  readonly afterRevision: number
}

export interface Watcher {
  cancel(): void
  /**
   * The revision up to which every event for this watcher has been handed to its handler —
   * beyond its last event when later revisions held none for its prefix (the embedded store).
   * A bookmark may carry it, so a client resumes from a recent revision even when its
   * resource is quiet, as upstream's watch cache progresses bookmarks.
   */
  progress?(): number
}

/**
 * compacted: revision no longer kept (re-list). closed: store closed or watcher stopped.
 * io: disk problem, message says what to do. too-large: value over the size limit, or a
 * revision newer than the latest (like Kubernetes' "Too large resource version").
 * unavailable: the backend cannot be reached right now (etcd down, no quorum); retry later.
 * no-space: the size quota is reached (etcd's "mvcc: database space exceeded"); deletes still work.
 */
export type StoreErrorCode = 'compacted' | 'closed' | 'io' | 'too-large' | 'unavailable' | 'no-space'

export class StoreError extends Error {
  constructor(
    readonly code: StoreErrorCode,
    message: string,
    /** For 'compacted': the oldest revision a watch can still start after. */
    readonly compactRevision?: number,
  ) {
    super(message)
    this.name = 'StoreError'
  }
}

/**
 * A consistent copy of the whole store at one revision, as a byte stream (what a backup keeps).
 * embedded: the store's own snapshot format (snapshot.ts framing: header, one record per live
 * key, footer) holding the latest version of every key; etcd: the bytes of etcd's Snapshot RPC,
 * exactly what `etcdctl snapshot save` writes (a bbolt file followed by its SHA-256).
 */
export interface StoreSnapshot {
  readonly kind: 'embedded' | 'etcd'
  /** Revision the snapshot was taken at. */
  readonly revision: number
  readonly chunks: AsyncIterable<Buffer>
}

/**
 * Followed synchronously by an in-process cache (the API server's watch cache): the embedded
 * store implements it, so a cache fed by `onCommit` is exactly as current as the store's reads.
 */
export interface CommitFeed {
  /** Live keys under `prefix` at the committed revision, read at once (no turn of the event loop). */
  rangeNow(prefix: string): RangeResult
  /** The committed revision (what rangeNow reads at). */
  revisionNow(): number
  /** `fn` runs synchronously with each committed revision's events, before watchers get them. Returns a function that stops it. */
  onCommit(fn: (events: readonly WatchEvent[], revision: number) => void): () => void
}

export function isCommitFeed(value: unknown): value is CommitFeed {
  return typeof (value as Partial<CommitFeed>).rangeNow === 'function' && typeof (value as Partial<CommitFeed>).onCommit === 'function'
}

/** One member of the store's cluster, as `etcdctl endpoint status` shows it. */
export interface StoreMember {
  /** etcd's member id (hex, as etcdctl prints it). */
  readonly id: string
  /** The member's --name (the control-plane node's name in KubeLab clusters). */
  readonly name: string
  readonly clientUrl: string
  /** It answered a status request and knows a leader. */
  readonly healthy: boolean
  readonly leader: boolean
  /** Size of its backend database file. */
  readonly dbSizeBytes?: number
  readonly raftIndex?: number
  readonly raftTerm?: number
  readonly version?: string
  /** Why it is not healthy. */
  readonly error?: string
}

/** A key's revisions without its value (a keys-only range). */
export interface KeyRevision {
  readonly key: string
  readonly modRevision: number
}

/**
 * A remote store (etcd) can list keys without their values and read some keys' values at one
 * revision: the API server's watch cache then fetches only the values it does not hold encoded.
 */
export interface KeyRevisionReader {
  /** The live keys under `prefix` and their modRevisions, at the latest revision (returned). */
  rangeRevisions(prefix: string): Promise<{ keys: readonly KeyRevision[]; revision: number }>
  /** These keys as of `revision` (absent ones left out), in one round trip per 100 keys. */
  getAt(keys: readonly string[], revision: number): Promise<KeyValue[]>
}

export function isKeyRevisionReader(value: unknown): value is KeyRevisionReader {
  return typeof (value as Partial<KeyRevisionReader>).rangeRevisions === 'function' && typeof (value as Partial<KeyRevisionReader>).getAt === 'function'
}

export interface Storage {
  get(key: string): Promise<KeyValue | undefined>
  range(prefix: string, opts?: RangeOptions): Promise<RangeResult>
  /** Atomically: if every compare holds, apply `success`, else `failure`. Durable before it resolves. */
  txn(compares: readonly Compare[], success: readonly Op[], failure?: readonly Op[]): Promise<TxnResult>
  /**
   * Watch keys under `prefix`. Events arrive in revision order, batched per revision.
   * `onError` is called once (then the watcher is dead) with 'compacted' when the requested
   * revision is older than the kept history or the watcher fell too far behind, or 'closed'
   * when the store closes. `onEvents` may return a promise: the next batch waits for it
   * (back-pressure), and events queue up to a limit meanwhile.
   */
  watch(prefix: string, opts: WatchOptions, onEvents: (events: readonly WatchEvent[], revision: number) => void, onError: (err: StoreError) => void): Watcher
  /** Latest revision (etcd: the latest this client has seen in any response; exact after its own writes). */
  revision(): number
  /** Oldest revision a watch can start after (etcd: as last learned from etcd). */
  compactedRevision(): number
  /** Start streaming a consistent snapshot (the revision is fixed when this resolves). */
  streamSnapshot(): Promise<StoreSnapshot>
  /** Forget history (versions and watch events) at or before `revision`. */
  compact(revision: number): Promise<void>
  /**
   * etcd: put `key` attached to a new etcd lease of `ttlSeconds`, so etcd deletes the key unless
   * it is put again before the lease runs out (upstream's API server keeps its /masterleases
   * records this way). Returns the write's revision. The embedded store has no leases: callers
   * keep an expiry in the value and check it themselves.
   */
  putWithTtl?(key: string, value: string, ttlSeconds: number): Promise<number>
  /** etcd: every member of the cluster with its status; the embedded store has no members. */
  members?(): Promise<StoreMember[]>
  close(): Promise<void>
}
