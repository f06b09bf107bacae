// The embedded store: MVCC state (mvcc.ts) + watch delivery (watch.ts) + durability (wal.ts,
// snapshot.ts). Transactions are evaluated and applied in memory at once, in call order, then
// their log records are written in group commits (all records that arrived while the previous
// fsync ran go out in one write + fsync). Only after that fsync does a revision become visible
// to readers and watchers and does the caller's promise resolve.
import { promises as fsp } from 'node:fs'
import * as path from 'node:path'
import type {
  CommitFeed,
  Compare,
  KeyValue,
  Op,
  RangeOptions,
  RangeResult,
  Storage,
  StoreSnapshot,
  TxnResult,
  WatchEvent,
  WatchOptions,
  Watcher,
} from './types'
import { StoreError } from './types'
import { Mvcc, isLive, type StateView } from './mvcc'
import { WatchHub, failedWatcher } from './watch'
import { SegmentWriter, listSegments, readSegment, truncateSegment } from './wal'
import { listSnapshots, liveSnapshotChunks, readSnapshot, writeSnapshot } from './snapshot'
import { encodeWalRecord, type LoggedOp } from './records'
import { errText, ioError, lockDir, prepareDir, probeWritable } from './files'
import { DEFAULT_MAX_VALUE_BYTES, validateOps } from './ops'

const DEFAULT_HISTORY_BYTES = 128 * 1024 * 1024
/**
 * Upstream's watch cache keeps 75 s of events (its bookmark period, 60 s, plus 15 s): a client
 * resumes a watch from its last event or bookmark, and bookmarks carry the store's progress
 * (`Watcher.progress`), so this window is enough for resumption; older revisions get 410.
 */
const DEFAULT_HISTORY_AGE_MS = 75_000
const DEFAULT_SNAPSHOT_BYTES = 64 * 1024 * 1024
/** etcd's default --quota-backend-bytes. */
const DEFAULT_QUOTA_BYTES = 2 * 1024 * 1024 * 1024

export interface MemoryStoreOptions {
  /** Watch history to keep, in events (at least this many are kept, within the byte and age bounds). Default 10 000. */
  readonly historyLimit?: number
  /**
   * Most bytes of values the history may keep alive; older revisions are compacted beyond it
   * (the newest is always kept). Default 128 MiB: 2 200 updates of a 1 MB object once grew the
   * server past 2 GiB and wrote a snapshot no start could read.
   */
  readonly historyBytes?: number
  /** Revisions older than this are compacted on the next write: the watch window of upstream's watch cache. Default 75 s. */
  readonly historyMaxAgeMs?: number
  /**
   * Most bytes of live data (history is bounded by historyBytes): a write that would grow past it is refused
   * ("mvcc: database space exceeded", as etcd's --quota-backend-bytes), deletes still pass,
   * and the store keeps running. Default 2 GiB, etcd's default.
   */
  readonly quotaBytes?: number
  /** Events a watcher may have queued before it is ended with 'compacted'. Default max(20 000, 2 × historyLimit). */
  readonly watchQueueLimit?: number
  /** Largest value accepted by a put, in bytes. Default 1.5 MiB (etcd's request limit). */
  readonly maxValueBytes?: number
}

export interface StoreOptions extends MemoryStoreOptions {
  /** Directory holding the log segments, snapshots and lock file; created if missing. */
  readonly dataDir: string
  /** Log records between snapshots. Default 10 000. A snapshot is also written on close. */
  readonly snapshotEvery?: number
  /** Log bytes between snapshots (so no segment grows without bound). Default 64 MiB. */
  readonly snapshotEveryBytes?: number
  /** Where recovery notes and background snapshot failures go. Default console.warn. */
  readonly onWarning?: (message: string) => void
}

/** What opening a data directory found. */
export interface RecoveryInfo {
  /** Revision of the snapshot loaded, when there was one. */
  readonly snapshotRevision?: number
  /** Log records replayed on top of it. */
  readonly replayedRecords: number
  /** Bytes cut from the end of the last log segment (a write torn by a crash). */
  readonly truncatedBytes: number
}

export interface StoreStats {
  readonly revision: number
  readonly compactRevision: number
  readonly keys: number
  readonly historyEvents: number
  /** Bytes of values the watch history keeps alive (bounded by historyBytes), counted whole though superseded versions are held packed. */
  readonly historyBytes: number
  /** Superseded versions held as the delta from their successor (rebuilt when read). */
  readonly packedVersions: number
  readonly watchers: number
}

interface Entry {
  readonly record?: Buffer
  readonly revision?: number
  readonly events?: WatchEvent[]
  readonly resolve: () => void
  readonly reject: (err: unknown) => void
}

export class EmbeddedStore implements Storage, CommitFeed {
  private readonly commitListeners = new Set<(events: readonly WatchEvent[], revision: number) => void>()
  private readonly mvcc: Mvcc
  private readonly hub: WatchHub
  private readonly maxValueBytes: number
  private readonly snapshotEveryBytes: number
  private readonly quotaBytes: number
  private spaceAlarm = false
  private packScheduled = false
  private closed: StoreError | undefined
  private failed: StoreError | undefined

  // Durable mode only.
  private segment: SegmentWriter | undefined
  private pending: Entry[] = []
  private flushing: Promise<void> | undefined
  private recordsSinceSnapshot = 0
  private bytesSinceSnapshot = 0
  private snapshotRequested = false
  private snapshotting: Promise<void> | undefined
  private lastSnapshot = { revision: -1, compact: -1 }
  private release: (() => Promise<void>) | undefined

  recovery: RecoveryInfo = { replayedRecords: 0, truncatedBytes: 0 }

  /** Use openStore() or createMemoryStore(). */
  constructor(
    opts: MemoryStoreOptions,
    private readonly dir?: string,
    private readonly snapshotEvery = 10_000,
    private readonly warn: (message: string) => void = (m) => console.warn(m),
  ) {
    const historyLimit = positive(opts.historyLimit, 10_000, 'historyLimit')
    this.mvcc = new Mvcc({
      events: historyLimit,
      bytes: positive(opts.historyBytes, DEFAULT_HISTORY_BYTES, 'historyBytes'),
      maxAgeMs: positive(opts.historyMaxAgeMs, DEFAULT_HISTORY_AGE_MS, 'historyMaxAgeMs'),
    })
    this.hub = new WatchHub(positive(opts.watchQueueLimit, Math.max(20_000, 2 * historyLimit), 'watchQueueLimit'), () => this.mvcc.compacted)
    this.maxValueBytes = positive(opts.maxValueBytes, DEFAULT_MAX_VALUE_BYTES, 'maxValueBytes')
    this.quotaBytes = positive(opts.quotaBytes, DEFAULT_QUOTA_BYTES, 'quotaBytes')
    this.snapshotEveryBytes = positive((opts as Partial<StoreOptions>).snapshotEveryBytes, DEFAULT_SNAPSHOT_BYTES, 'snapshotEveryBytes')
  }

  // ---- reads -------------------------------------------------------------------------------

  async get(key: string): Promise<KeyValue | undefined> {
    this.checkOpen()
    return this.mvcc.getAt(key, this.mvcc.committed)
  }

  async range(prefix: string, opts?: RangeOptions): Promise<RangeResult> {
    this.checkOpen()
    return this.mvcc.range(prefix, opts)
  }

  revision(): number {
    return this.mvcc.committed
  }

  rangeNow(prefix: string): RangeResult {
    this.checkOpen()
    return this.mvcc.range(prefix)
  }

  revisionNow(): number {
    this.checkOpen()
    return this.mvcc.committed
  }

  onCommit(fn: (events: readonly WatchEvent[], revision: number) => void): () => void {
    this.commitListeners.add(fn)
    return () => this.commitListeners.delete(fn)
  }

  compactedRevision(): number {
    return this.mvcc.compacted
  }

  stats(): StoreStats {
    return {
      revision: this.mvcc.committed,
      compactRevision: this.mvcc.compacted,
      keys: this.mvcc.keyCount,
      historyEvents: this.mvcc.historySize,
      historyBytes: this.mvcc.historyBytes,
      packedVersions: this.mvcc.packedVersions,
      watchers: this.hub.size,
    }
  }

  // ---- writes ------------------------------------------------------------------------------

  async txn(compares: readonly Compare[], success: readonly Op[], failure: readonly Op[] = []): Promise<TxnResult> {
    this.checkWritable()
    this.validate(success)
    this.validate(failure)
    const succeeded = compares.every((c) => holds(c, this.mvcc.latest(c.key)))
    // On failure the caller gets the compared keys as they were when the compares ran.
    const compared = succeeded ? [] : compares.map((c) => liveOrUndefined(this.mvcc.latest(c.key)))
    const ops: readonly LoggedOp[] = succeeded ? success : failure
    this.checkQuota(ops)
    const revision = this.mvcc.applied + 1
    const applied = this.mvcc.apply(ops, revision)
    const kvs = succeeded ? applied.kvs : compared
    if (applied.events.length === 0) {
      // Nothing written, but what we compared against may still be in flight: wait for it so a
      // caller never acts on data that a crash could still take back.
      await this.barrier()
      return { succeeded, revision: this.mvcc.applied, kvs }
    }
    if (this.dir === undefined) {
      this.publish(revision, applied.events)
    } else {
      await this.enqueue({ record: encodeWalRecord({ kind: 'txn', revision, ops }), revision, events: applied.events })
    }
    return { succeeded, revision, kvs }
  }

  async compact(revision: number): Promise<void> {
    this.checkWritable()
    if (revision > this.mvcc.committed) {
      throw new StoreError('too-large', `cannot compact at revision ${revision}: the latest revision is ${this.mvcc.committed}`)
    }
    if (revision <= this.mvcc.compacted) return
    this.mvcc.compact(revision)
    if (this.dir !== undefined) await this.enqueue({ record: encodeWalRecord({ kind: 'compact', revision }) })
  }

  /** Refuse growth beyond the quota (deletes and shrinking writes pass), raising the alarm once. */
  private checkQuota(ops: readonly LoggedOp[]): void {
    const growth = this.mvcc.growth(ops)
    // Live data only: what history keeps is bounded on its own (historyBytes).
    const used = this.mvcc.liveBytes
    if (growth <= 0 || used + growth <= this.quotaBytes) {
      if (this.spaceAlarm && used + growth <= this.quotaBytes * 0.9) this.spaceAlarm = false
      return
    }
    const mib = (n: number): string => `${(n / 1024 / 1024).toFixed(1)} MiB`
    const message = `mvcc: database space exceeded: the store holds ${mib(used)} of its ${mib(this.quotaBytes)} quota and this write adds ${mib(growth)}; delete objects to free space (deletes are still accepted)`
    if (!this.spaceAlarm) {
      this.spaceAlarm = true
      this.warn(`store: ALARM NOSPACE in ${this.dir ?? 'memory'}: ${message}`)
    }
    throw new StoreError('no-space', message)
  }

  private validate(ops: readonly Op[]): void {
    validateOps(ops, this.maxValueBytes)
  }

  private publish(revision: number, events: readonly WatchEvent[]): void {
    const group = this.mvcc.commit(revision, events)
    for (const fn of this.commitListeners) fn(group.events, group.revision)
    this.hub.publish(group)
    this.schedulePack()
  }

  /**
   * Pack the versions this commit superseded on a later turn: the watch hub hands the commit's
   * events to watchers on the next turn (setImmediate, queued before this), and their handlers read
   * the state before each event whole.
   */
  private schedulePack(): void {
    if (this.packScheduled || !this.mvcc.packPending) return
    this.packScheduled = true
    setImmediate(() => {
      this.packScheduled = false
      this.mvcc.packSuperseded()
    }).unref()
  }

  // ---- watch -------------------------------------------------------------------------------

  watch(prefix: string, opts: WatchOptions, onEvents: (events: readonly WatchEvent[], revision: number) => void, onError: (err: StoreError) => void): Watcher {
    const down = this.closed ?? this.failed
    if (down) return failedWatcher(down, onError)
    const after = opts.afterRevision
    if (after < this.mvcc.compacted) {
      const c = this.mvcc.compacted
      return failedWatcher(
        new StoreError('compacted', `revision ${after} is older than the kept history (compacted at ${c}); list again and watch from the list's revision`, c),
        onError,
      )
    }
    const backlog = after >= this.mvcc.committed ? [] : this.mvcc.groupsAfter(after)
    return this.hub.add(prefix, after, backlog, onEvents, onError)
  }

  // ---- group commit ------------------------------------------------------------------------

  private enqueue(e: Omit<Entry, 'resolve' | 'reject'>): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ ...e, resolve, reject })
      if (this.flushing === undefined) this.flushing = this.flushLoop().finally(() => (this.flushing = undefined))
    })
  }

  /** Resolves once everything applied so far is durable (at once in memory mode). */
  private barrier(): Promise<void> {
    if (this.dir === undefined || (this.flushing === undefined && this.pending.length === 0)) return Promise.resolve()
    return this.enqueue({})
  }

  private async flushLoop(): Promise<void> {
    while (this.pending.length > 0 && this.failed === undefined) {
      if (this.snapshotRequested || this.recordsSinceSnapshot >= this.snapshotEvery || this.bytesSinceSnapshot >= this.snapshotEveryBytes) {
        try {
          await this.startSnapshot()
        } catch (err) {
          this.fail(ioError('starting a new log segment', this.dir ?? '', err))
          return
        }
      }
      const batch = this.pending
      this.pending = []
      const records: Buffer[] = []
      for (const e of batch) if (e.record) records.push(e.record)
      if (records.length > 0) {
        try {
          await this.requireSegment().write(records)
        } catch (err) {
          this.fail(ioError('writing the write-ahead log', this.dir ?? '', err), batch)
          return
        }
        this.recordsSinceSnapshot += records.length
        for (const r of records) this.bytesSinceSnapshot += r.length
      }
      for (const e of batch) {
        if (e.events !== undefined && e.revision !== undefined) this.publish(e.revision, e.events)
        e.resolve()
      }
    }
  }

  private requireSegment(): SegmentWriter {
    if (this.segment === undefined) throw new StoreError('closed', 'the write-ahead log is not open')
    return this.segment
  }

  /** Stop accepting writes after a log failure: memory may now be ahead of the disk. */
  private fail(err: StoreError, inFlight: Entry[] = []): void {
    this.failed = new StoreError(
      'io',
      `${err.message}. The store stopped accepting writes to protect your data; fix the cause and restart (recovery replays the log)`,
    )
    for (const e of [...inFlight, ...this.pending]) e.reject(this.failed)
    this.pending = []
    this.hub.endAll(new StoreError('closed', this.failed.message))
  }

  // ---- snapshots ---------------------------------------------------------------------------

  /**
   * Called between batches: move to a new log segment, so the old ones hold exactly the
   * revisions up to now, and write a snapshot of now in the background; when it is safely on
   * disk, the old segments and snapshots are deleted.
   */
  private async startSnapshot(): Promise<void> {
    this.snapshotRequested = false
    this.recordsSinceSnapshot = 0
    this.bytesSinceSnapshot = 0
    if (this.snapshotting) return // one at a time; the next batch boundary after it will retry
    const dir = this.dir
    const old = this.requireSegment()
    if (dir === undefined) return
    const next = await SegmentWriter.open(dir, old.seq + 1)
    await old.close()
    this.segment = next
    const view = this.mvcc.view(this.mvcc.committed)
    this.snapshotting = this.persistSnapshot(dir, view, next.seq)
      .catch((err: unknown) =>
        this.warn(`store: snapshot at revision ${view.revision} in ${dir} failed (${errText(err)}); the log still holds everything, will retry later`),
      )
      .finally(() => (this.snapshotting = undefined))
  }

  private async persistSnapshot(dir: string, view: StateView, keepFromSeq: number): Promise<void> {
    await writeSnapshot(dir, view)
    this.lastSnapshot = { revision: view.revision, compact: view.compactRevision }
    for (const s of await listSegments(dir)) if (s.seq < keepFromSeq) await fsp.unlink(s.file)
    for (const s of await listSnapshots(dir)) if (s.revision < view.revision) await fsp.unlink(s.file)
  }

  /** Write a snapshot now (e.g. before a backup). Resolves when it is on disk. */
  async snapshot(): Promise<void> {
    this.checkWritable()
    if (this.dir === undefined) return
    await this.snapshotting
    this.snapshotRequested = true
    await this.enqueue({})
    await this.snapshotting
  }

  /** The live state at the committed revision, for a backup (only durable writes are in it). */
  async streamSnapshot(): Promise<StoreSnapshot> {
    this.checkOpen()
    const view = this.mvcc.view(this.mvcc.committed)
    return { kind: 'embedded', revision: view.revision, chunks: liveSnapshotChunks(view) }
  }

  // ---- lifecycle ---------------------------------------------------------------------------

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = new StoreError('closed', 'the store is closed')
    await this.flushing
    await this.snapshotting
    if (this.dir !== undefined && this.segment !== undefined) {
      const seg = this.segment
      this.segment = undefined
      await seg.close()
      const view = this.mvcc.view(this.mvcc.committed)
      const changed = view.revision !== this.lastSnapshot.revision || view.compactRevision !== this.lastSnapshot.compact
      if (this.failed === undefined && changed) {
        // Everything is in this snapshot, so every segment can go.
        await this.persistSnapshot(this.dir, view, seg.seq + 1).catch((err: unknown) =>
          this.warn(`store: final snapshot in ${this.dir} failed (${errText(err)}); the log is kept and will be replayed on next open`),
        )
      }
    }
    this.hub.endAll(this.closed)
    await this.release?.()
  }

  private checkOpen(): void {
    if (this.closed) throw this.closed
  }

  private checkWritable(): void {
    if (this.closed) throw this.closed
    if (this.failed) throw this.failed
  }

  // ---- recovery ----------------------------------------------------------------------------

  /** Load the newest snapshot, replay the log after it, cut a torn tail, open the log for appends. */
  async recover(dir: string): Promise<void> {
    this.release = await lockDir(dir)
    try {
      await probeWritable(dir)
      await this.load(dir)
    } catch (err) {
      await this.release()
      throw err
    }
  }

  private async load(dir: string): Promise<void> {
    for (const name of await fsp.readdir(dir)) if (name.endsWith('.tmp')) await fsp.unlink(path.join(dir, name))
    const snaps = await listSnapshots(dir)
    let snapshotRevision: number | undefined
    if (snaps.length > 0) {
      const newest = snaps[snaps.length - 1]
      const loaded = await readSnapshot(newest.file, (key, versions) => this.mvcc.loadKey(key, versions))
      this.mvcc.finishLoad(loaded.revision, loaded.compactRevision)
      snapshotRevision = loaded.revision
      this.lastSnapshot = { revision: loaded.revision, compact: loaded.compactRevision }
    }
    const segments = await listSegments(dir)
    let replayed = 0
    let truncated = 0
    for (let i = 0; i < segments.length; i++) {
      const seg = segments[i]
      const contents = await readSegment(seg.file)
      if (contents.problem !== undefined) {
        if (i < segments.length - 1) {
          throw new StoreError(
            'io',
            `write-ahead log ${seg.file} is damaged (${contents.problem}) and newer segments follow it, so this is not a torn final write. ` +
              `The store refuses to start rather than lose data: restore the data directory from a backup`,
          )
        }
        truncated = contents.totalBytes - contents.validBytes
        this.warn(`store: ${seg.file} ended with an incomplete write (${contents.problem}); cut ${truncated} bytes that were never acknowledged`)
        await truncateSegment(seg.file, contents.validBytes)
      }
      for (const rec of contents.records) {
        if (rec.kind === 'compact') {
          this.mvcc.compact(Math.min(rec.revision, this.mvcc.committed))
          continue
        }
        if (rec.revision <= this.mvcc.committed) continue // already in the snapshot
        if (rec.revision !== this.mvcc.applied + 1) {
          throw new StoreError(
            'io',
            `write-ahead log ${seg.file} jumps from revision ${this.mvcc.applied} to ${rec.revision}: files are missing from ${dir}. Restore the data directory from a backup`,
          )
        }
        const { events } = this.mvcc.apply(rec.ops, rec.revision)
        this.mvcc.applied = rec.revision
        this.mvcc.commit(rec.revision, events)
        replayed++
      }
    }
    this.mvcc.packSuperseded()
    this.recordsSinceSnapshot = replayed
    const last = segments[segments.length - 1]
    this.segment = await SegmentWriter.open(dir, last === undefined ? 1 : last.seq)
    this.recovery = { snapshotRevision, replayedRecords: replayed, truncatedBytes: truncated }
  }
}

function holds(c: Compare, kv: KeyValue | undefined): boolean {
  const live = isLive(kv)
  if (c.target === 'exists') return live === c.equals
  return (live ? kv.modRevision : 0) === c.equals
}

function liveOrUndefined(kv: KeyValue | undefined): KeyValue | undefined {
  return isLive(kv) ? kv : undefined
}

function positive(v: number | undefined, dflt: number, name: string): number {
  if (v === undefined) return dflt
  if (!Number.isFinite(v) || v <= 0) throw new Error(`store option ${name} must be a positive number, got ${v}`)
  return v
}

/** Open (or create) a durable store in `opts.dataDir`, recovering whatever is there. */
export async function openStore(opts: StoreOptions): Promise<EmbeddedStore> {
  await prepareDir(opts.dataDir, opts.onWarning ?? ((m) => console.warn(m)))
  const store = new EmbeddedStore(opts, opts.dataDir, positive(opts.snapshotEvery, 10_000, 'snapshotEvery'), opts.onWarning)
  await store.recover(opts.dataDir)
  return store
}

/** A store without durability, for tests and simulated clusters: same code minus the log. */
export function createMemoryStore(opts: MemoryStoreOptions = {}): EmbeddedStore {
  return new EmbeddedStore(opts)
}
