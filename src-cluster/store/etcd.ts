// The etcd v3 backend: the Storage interface on a real etcd cluster (Debian/Ubuntu
// `etcd-server`), the way kube-apiserver uses it. resourceVersion = etcd revision; create /
// update / delete are compare-and-swap transactions on mod_revision; watches start at a
// revision with prev_kv; compaction is etcd's, driven by a compactor like the apiserver's.
// We speak etcd's gRPC API through the raw RPC clients of the `etcd3` package (its builders
// hide the compact_revision of a cancelled watch and the per-op responses of a txn).
// Type-only at the top: the package (grpc-js + its protos) loads in openEtcdStore, so the
// components that never talk to etcd (every node agent) do not pay its start-up cost.
import type { Etcd3, IOptions } from 'etcd3'
import type * as RPC from 'etcd3/lib/rpc'
import type {
  Compare,
  KeyRevision,
  KeyRevisionReader,
  KeyValue,
  Op,
  RangeOptions,
  RangeResult,
  Storage,
  StoreMember,
  StoreSnapshot,
  TxnResult,
  WatchEvent,
  WatchOptions,
  Watcher,
} from './types'
import { StoreError } from './types'
import { DEFAULT_MAX_VALUE_BYTES, validateOps } from './ops'
import { WatchStream, failedWatcher } from './watch'
import { EtcdCompactor } from './etcd-compactor'
import { etcdError, isCompacted, isUnavailable } from './etcd-errors'

export interface EtcdTls {
  /** CA certificate(s) that signed the etcd servers' certificates (PEM). */
  readonly ca: Buffer
  /** Client certificate and key (PEM), when etcd requires client-certificate authentication. */
  readonly cert?: Buffer
  readonly key?: Buffer
}

export interface EtcdStoreOptions {
  /** Client URLs, e.g. https://127.0.0.1:2379 (as --etcd-servers). */
  readonly endpoints: readonly string[]
  readonly tls?: EtcdTls
  /** Largest value accepted by a put (checked here, so the error is the same as the embedded store's). */
  readonly maxValueBytes?: number
  /** Events a watcher may have queued before it is ended with 'compacted'. Default 20 000. */
  readonly watchQueueLimit?: number
  /** How often to compact (as --etcd-compaction-interval); 0 turns it off. Default 5 minutes. */
  readonly compactionIntervalMs?: number
  /** How long open waits for etcd to answer. Default 20 s (the apiserver's dial timeout). */
  readonly dialTimeoutMs?: number
  readonly log?: (line: string) => void
}

const enc = (s: string): Buffer => Buffer.from(s, 'utf8')

/** The first key after every key starting with `prefix` (etcd's range_end for a prefix). */
export function prefixEnd(prefix: Buffer): Buffer {
  const end = Buffer.from(prefix)
  for (let i = end.length - 1; i >= 0; i--) {
    if (end[i] < 0xff) {
      end[i]++
      return end.subarray(0, i + 1)
    }
  }
  return Buffer.from([0]) // all 0xff: to the end of the keyspace
}

/** [key, range_end) covering every key that starts with `prefix` ('' = everything). */
function prefixRange(prefix: string): { key: Buffer; range_end: Buffer } {
  if (prefix === '') return { key: Buffer.from([0]), range_end: Buffer.from([0]) }
  const key = enc(prefix)
  return { key, range_end: prefixEnd(key) }
}

function toKv(kv: RPC.IKeyValue): KeyValue {
  return {
    key: kv.key.toString('utf8'),
    value: kv.value.toString('utf8'),
    createRevision: Number(kv.create_revision),
    modRevision: Number(kv.mod_revision),
    version: Number(kv.version),
  }
}

function compareOf(c: Compare): RPC.ICompare {
  if (c.target === 'modRevision') return { key: enc(c.key), target: 'Mod', result: 'Equal', mod_revision: c.equals }
  // A missing key has version 0; any existing key has version ≥ 1.
  return { key: enc(c.key), target: 'Version', result: c.equals ? 'Greater' : 'Equal', version: 0 }
}

function requestOf(op: Op): RPC.IRequestOp {
  return op.type === 'put'
    ? { request_put: { key: enc(op.key), value: enc(op.value), prev_kv: true } }
    : { request_delete_range: { key: enc(op.key), prev_kv: true } }
}

/** Where the store's compaction stands, learned from etcd (a watch from revision 1 reports it). */
const PROBE_KEY = enc('\u0000kubelab/compaction-probe')

export class EtcdStore implements Storage, KeyRevisionReader {
  private rev = 0
  private compacted = 0
  private closed: StoreError | undefined
  private readonly watchers = new Set<EtcdWatch>()
  private readonly maxValueBytes: number
  private readonly queueLimit: number
  private compactor: EtcdCompactor | undefined

  /** Use openEtcdStore(). */
  constructor(
    readonly client: Etcd3,
    private readonly opts: EtcdStoreOptions,
  ) {
    this.maxValueBytes = opts.maxValueBytes ?? DEFAULT_MAX_VALUE_BYTES
    this.queueLimit = opts.watchQueueLimit ?? 20_000
  }

  /** Where this store connects, for messages. */
  get where(): string {
    return this.opts.endpoints.join(',')
  }

  /** Note a revision etcd reported (every response header carries the latest). */
  seen(header: RPC.IResponseHeader | undefined): number {
    const r = Number(header?.revision ?? 0)
    if (r > this.rev) this.rev = r
    return r
  }

  noteCompacted(rev: number): void {
    if (rev > this.compacted) this.compacted = rev
  }

  fail(err: unknown, what: string): StoreError {
    return etcdError(err, what, this.where, this.compacted)
  }

  // ---- reads -------------------------------------------------------------------------------

  async get(key: string): Promise<KeyValue | undefined> {
    this.checkOpen()
    const r = await this.client.kv.range({ key: enc(key) }).catch((e: unknown) => this.rethrow(e, `reading ${key}`))
    this.seen(r.header)
    return r.kvs.length > 0 ? toKv(r.kvs[0]) : undefined
  }

  async range(prefix: string, opts: RangeOptions = {}): Promise<RangeResult> {
    this.checkOpen()
    const whole = prefixRange(prefix)
    const page: RPC.IRangeRequest = {
      key: opts.startAfter === undefined ? whole.key : enc(opts.startAfter + '\u0000'),
      range_end: whole.range_end,
      limit: opts.limit ?? 0,
      revision: opts.revision ?? 0,
    }
    const what = `listing ${prefix || 'every key'}${opts.revision ? ` at revision ${opts.revision}` : ''}`
    if (opts.startAfter === undefined) {
      const r = await this.client.kv.range(page).catch((e: unknown) => this.rethrow(e, what, opts.revision))
      const at = this.seen(r.header)
      return { kvs: r.kvs.map(toKv), revision: opts.revision ?? at, more: r.more, count: Number(r.count) }
    }
    // A later page: its keys and the collection's total count, read at one revision in one txn.
    const t = await this.client.kv
      .txn({ success: [{ request_range: { ...whole, count_only: true, revision: opts.revision ?? 0 } }, { request_range: page }] })
      .catch((e: unknown) => this.rethrow(e, what, opts.revision))
    const at = this.seen(t.header)
    const [count, rows] = [t.responses[0].response_range, t.responses[1].response_range]
    return { kvs: rows.kvs.map(toKv), revision: opts.revision ?? at, more: rows.more, count: Number(count.count) }
  }

  async rangeRevisions(prefix: string): Promise<{ keys: readonly KeyRevision[]; revision: number }> {
    this.checkOpen()
    const what = `listing ${prefix || 'every key'}`
    const r = await this.client.kv.range({ ...prefixRange(prefix), keys_only: true }).catch((e: unknown) => this.rethrow(e, what))
    const at = this.seen(r.header)
    return { keys: r.kvs.map((kv) => ({ key: kv.key.toString('utf8'), modRevision: Number(kv.mod_revision) })), revision: at }
  }

  async getAt(keys: readonly string[], revision: number): Promise<KeyValue[]> {
    this.checkOpen()
    const out: KeyValue[] = []
    // etcd takes at most 128 operations in a transaction (--max-txn-ops).
    for (let i = 0; i < keys.length; i += 100) {
      const chunk = keys.slice(i, i + 100)
      const t = await this.client.kv
        .txn({ success: chunk.map((k) => ({ request_range: { key: enc(k), revision } })) })
        .catch((e: unknown) => this.rethrow(e, `reading ${chunk.length} keys at revision ${revision}`, revision))
      this.seen(t.header)
      for (const resp of t.responses) for (const kv of resp.response_range.kvs) out.push(toKv(kv))
    }
    return out
  }

  revision(): number {
    return this.rev
  }

  compactedRevision(): number {
    return this.compacted
  }

  // ---- writes ------------------------------------------------------------------------------

  async txn(compares: readonly Compare[], success: readonly Op[], failure: readonly Op[] = []): Promise<TxnResult> {
    this.checkOpen()
    validateOps(success, this.maxValueBytes)
    validateOps(failure, this.maxValueBytes)
    // On failure the caller gets the compared keys as they were: read them before the failure ops.
    const reads: RPC.IRequestOp[] = compares.map((c) => ({ request_range: { key: enc(c.key) } }))
    const r = await this.client.kv
      .txn({ compare: compares.map(compareOf), success: success.map(requestOf), failure: [...reads, ...failure.map(requestOf)] })
      .catch((e: unknown) => this.rethrow(e, `writing ${[...success, ...failure].map((o) => o.key).join(', ') || 'nothing'}`))
    const revision = this.seen(r.header)
    if (!r.succeeded) {
      const kvs = r.responses.slice(0, reads.length).map((x) => (x.response_range.kvs.length > 0 ? toKv(x.response_range.kvs[0]) : undefined))
      return { succeeded: false, revision, kvs }
    }
    const kvs = success.map((op, i): KeyValue | undefined => {
      const resp = r.responses[i]
      if (op.type === 'delete') {
        const prev = resp.response_delete_range.prev_kvs
        return prev.length > 0 ? toKv(prev[0]) : undefined
      }
      const prev = resp.response_put.prev_kv ? toKv(resp.response_put.prev_kv) : undefined
      return { key: op.key, value: op.value, createRevision: prev?.createRevision ?? revision, modRevision: revision, version: (prev?.version ?? 0) + 1 }
    })
    return { succeeded: true, revision, kvs }
  }

  async putWithTtl(key: string, value: string, ttlSeconds: number): Promise<number> {
    this.checkOpen()
    validateOps([{ type: 'put', key, value }], this.maxValueBytes)
    // A fresh lease per put, as upstream's storage grants one per TTL'd write; the previous lease
    // has no key left and simply runs out. etcd raises TTLs below its minimum (about 2 s).
    const lease = await this.client.leaseClient
      .leaseGrant({ TTL: Math.max(1, Math.ceil(ttlSeconds)), ID: 0 })
      .catch((e: unknown) => this.rethrow(e, `granting a ${ttlSeconds} s lease for ${key}`))
    const r = await this.client.kv.put({ key: enc(key), value: enc(value), lease: lease.ID }).catch((e: unknown) => this.rethrow(e, `writing ${key}`))
    return this.seen(r.header)
  }

  async compact(revision: number): Promise<void> {
    this.checkOpen()
    if (revision <= this.compacted) return
    try {
      const r = await this.client.kv.compact({ revision, physical: true })
      this.seen(r.header)
      this.noteCompacted(revision)
    } catch (e) {
      if (isCompacted(e)) {
        this.noteCompacted(await this.probeCompacted())
        return // already compacted at or past it
      }
      throw this.fail(e, `compacting at revision ${revision}`)
    }
  }

  /**
   * etcd's Snapshot RPC, as `etcdctl snapshot save` calls it: the member's backend (a bbolt
   * file) with its SHA-256 appended. Its first message's header is the snapshot's revision.
   */
  async streamSnapshot(): Promise<StoreSnapshot> {
    this.checkOpen()
    const what = 'taking a snapshot (Maintenance.Snapshot)'
    const stream = await this.client.maintenance.snapshot().catch((e: unknown) => this.rethrow(e, what))
    // grpc-js hands back a Node Readable: iterate it so a slow reader holds etcd back.
    const messages = (stream as unknown as AsyncIterable<RPC.ISnapshotResponse>)[Symbol.asyncIterator]()
    const first = await messages.next().catch((e: unknown) => this.rethrow(e, what))
    if (first.done) throw new StoreError('unavailable', `etcd at ${this.where} ended the snapshot stream before sending anything; retry`)
    const revision = this.seen(first.value.header)
    const fail = (e: unknown) => this.fail(e, what)
    async function* chunks(): AsyncGenerator<Buffer> {
      if (first.value.blob.length > 0) yield Buffer.from(first.value.blob)
      for (;;) {
        let next: IteratorResult<RPC.ISnapshotResponse>
        try {
          next = await messages.next()
        } catch (e) {
          throw fail(e)
        }
        if (next.done) return
        if (next.value.blob.length > 0) yield Buffer.from(next.value.blob)
      }
    }
    return { kind: 'etcd', revision, chunks: chunks() }
  }

  /**
   * Every member (Cluster.MemberList) and, asked on its own client URL with this client's TLS,
   * its Maintenance.Status: leader, database size, raft index, as `etcdctl endpoint status
   * --cluster` shows them. A member that does not answer within 3 s is reported unhealthy.
   */
  async members(): Promise<StoreMember[]> {
    this.checkOpen()
    const list = await this.client.cluster.memberList({}).catch((e: unknown) => this.rethrow(e, 'listing the members (Cluster.MemberList)'))
    const { Etcd3 } = await import('etcd3')
    const tls = this.opts.tls
    const hex = (id: unknown) => BigInt(String(id ?? 0)).toString(16)
    return Promise.all(
      list.members.map(async (m): Promise<StoreMember> => {
        const id = hex(m.ID)
        const clientUrl = m.clientURLs[0] ?? ''
        const base = { id, name: m.name || `(not started: ${m.peerURLs[0] ?? id})`, clientUrl }
        if (!clientUrl) return { ...base, healthy: false, leader: false, error: 'it has not started yet (no client URL)' }
        const c = new Etcd3({
          hosts: [clientUrl],
          dialTimeout: 3000,
          ...(tls ? { credentials: { rootCertificate: tls.ca, certChain: tls.cert, privateKey: tls.key } } : {}),
        })
        try {
          const s = await c.maintenance.status({ deadline: Date.now() + 3000 })
          const leader = hex(s.leader)
          return {
            ...base,
            healthy: leader !== '0',
            leader: leader === id,
            dbSizeBytes: Number(s.dbSize),
            raftIndex: Number(s.raftIndex),
            raftTerm: Number(s.raftTerm),
            version: s.version,
            ...(leader === '0' ? { error: 'it knows no leader (no quorum?)' } : {}),
          }
        } catch (e) {
          return { ...base, healthy: false, leader: false, error: (e as Error).message.split('\n')[0] }
        } finally {
          c.close()
        }
      }),
    )
  }

  // ---- watch -------------------------------------------------------------------------------

  watch(prefix: string, opts: WatchOptions, onEvents: (events: readonly WatchEvent[], revision: number) => void, onError: (err: StoreError) => void): Watcher {
    if (this.closed) return failedWatcher(this.closed, onError)
    const w = new EtcdWatch(this, prefix, opts.afterRevision, onEvents, onError, this.queueLimit, (x) => this.watchers.delete(x))
    this.watchers.add(w)
    w.connect()
    return w
  }

  /** The revision etcd is compacted at: a watch from revision 1 is cancelled with it. */
  async probeCompacted(): Promise<number> {
    const stream = await this.client.watchClient.watch()
    try {
      return await new Promise<number>((resolve, reject) => {
        stream.on('data', (res: RPC.IWatchResponse) => {
          this.seen(res.header)
          if (res.canceled) resolve(Number(res.compact_revision))
          else if (res.created) resolve(0)
        })
        stream.on('error', reject)
        stream.write({ create_request: { key: PROBE_KEY, start_revision: 1 } })
      })
    } finally {
      hangUp(stream)
    }
  }

  // ---- lifecycle ---------------------------------------------------------------------------

  /** Start the compactor (every apiserver runs one; they agree through compact_rev_key). */
  startCompactor(intervalMs: number): void {
    if (intervalMs <= 0 || this.compactor) return
    this.compactor = new EtcdCompactor(this, intervalMs, this.opts.log ?? ((l) => console.warn(l)))
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = new StoreError('closed', 'the store is closed')
    this.compactor?.stop()
    for (const w of [...this.watchers]) w.end(this.closed)
    this.client.close()
  }

  isClosed(): boolean {
    return this.closed !== undefined
  }

  private checkOpen(): void {
    if (this.closed) throw this.closed
  }

  private async rethrow(e: unknown, what: string, revision?: number): Promise<never> {
    if (isCompacted(e)) {
      this.noteCompacted(await this.probeCompacted().catch(() => this.compacted))
      throw new StoreError(
        'compacted',
        `revision ${revision ?? '?'} is older than the kept history (compacted at ${this.compacted}); list again`,
        this.compacted,
      )
    }
    throw this.fail(e, what)
  }
}

/**
 * One Storage watcher on its own gRPC watch stream. Events are grouped per revision and go
 * through the same back-pressured queue as the embedded store's. A broken stream is resumed
 * from the next undelivered revision, as etcd clients do; a compacted start ends the watcher.
 */
class EtcdWatch implements Watcher {
  private readonly queue: WatchStream
  private stream: Awaited<ReturnType<RPC.WatchClient['watch']>> | undefined
  private next: number
  private dead = false
  private retries = 0

  constructor(
    private readonly store: EtcdStore,
    private readonly prefix: string,
    after: number,
    onEvents: (events: readonly WatchEvent[], revision: number) => void,
    onError: (err: StoreError) => void,
    limit: number,
    private readonly detach: (w: EtcdWatch) => void,
  ) {
    this.next = after + 1
    this.queue = new WatchStream(
      prefix,
      after,
      onEvents,
      onError,
      limit,
      () => store.compactedRevision(),
      () => this.stopped(),
    )
  }

  connect(): void {
    if (this.dead) return
    this.store.client.watchClient.watch().then(
      (stream) => {
        if (this.dead) {
          hangUp(stream)
          return
        }
        this.stream = stream
        // Handlers of a stream we already let go of stay quiet.
        stream.on('data', (res: RPC.IWatchResponse) => this.stream === stream && this.onResponse(res))
        stream.on('error', (err: unknown) => this.stream === stream && this.broken(err))
        stream.on('end', () => this.stream === stream && this.broken(new Error('watch stream ended')))
        const r = prefixRange(this.prefix)
        stream.write({ create_request: { ...r, start_revision: this.next, prev_kv: true, progress_notify: true } })
      },
      (err: unknown) => this.broken(err),
    )
  }

  private onResponse(res: RPC.IWatchResponse): void {
    if (this.dead) return
    this.store.seen(res.header)
    if (res.canceled) {
      const compactRev = Number(res.compact_revision)
      if (compactRev > 0) {
        this.store.noteCompacted(compactRev)
        this.end(
          new StoreError(
            'compacted',
            `revision ${this.next - 1} is older than the kept history (compacted at ${compactRev}); list again and watch from the list's revision`,
            compactRev,
          ),
        )
      } else {
        this.end(new StoreError('closed', `etcd cancelled the watch on "${this.prefix}": ${res.cancel_reason || 'no reason given'}; watch again`))
      }
      return
    }
    if (res.created) this.retries = 0
    let group: WatchEvent[] = []
    let groupRev = 0
    const flush = (): void => {
      if (group.length > 0) this.queue.enqueue({ revision: groupRev, events: group })
      group = []
    }
    for (const ev of res.events) {
      const rev = Number(ev.kv.mod_revision)
      if (rev !== groupRev) flush()
      groupRev = rev
      const prev = ev.prev_kv ? toKv(ev.prev_kv) : undefined
      if (ev.type === 'Delete') {
        if (!prev) {
          // As the apiserver: a delete whose previous state is compacted away cannot be decoded.
          this.end(
            new StoreError(
              'compacted',
              `watch on "${this.prefix}": the state before the delete of ${ev.kv.key.toString()} at revision ${rev} is compacted; list again`,
              this.store.compactedRevision(),
            ),
          )
          return
        }
        group.push({ type: 'delete', kv: { ...prev, modRevision: rev, version: 0 }, prevKv: prev })
      } else {
        const kv = toKv(ev.kv)
        if (kv.version > 1 && !prev) {
          this.end(
            new StoreError(
              'compacted',
              `watch on "${this.prefix}": the state before the update of ${kv.key} at revision ${rev} is compacted; list again`,
              this.store.compactedRevision(),
            ),
          )
          return
        }
        group.push(kv.version === 1 ? { type: 'put', kv } : { type: 'put', kv, prevKv: prev })
      }
      this.next = rev + 1
    }
    flush()
  }

  private broken(err: unknown): void {
    if (this.dead) return
    this.stream = undefined
    if (this.store.isClosed()) {
      this.end(new StoreError('closed', 'the store is closed'))
      return
    }
    if (!isUnavailable(err) && this.retries > 0) {
      this.end(this.store.fail(err, `watching ${this.prefix}`))
      return
    }
    // Resume from the next revision not yet received, backing off up to 5 s.
    const delay = Math.min(5000, 100 * 2 ** this.retries++)
    setTimeout(() => this.connect(), delay).unref()
  }

  end(err: StoreError): void {
    this.queue.end(err)
  }

  cancel(): void {
    this.queue.cancel()
  }

  private stopped(): void {
    if (this.dead) return
    this.dead = true
    const s = this.stream
    this.stream = undefined
    if (s) hangUp(s)
    this.detach(this)
  }
}

/**
 * Close a watch stream we are done with. Ending our side first matters: the etcd3 package
 * treats a CANCELLED error on a still-writable stream as a host failure and closes every
 * client on that host, failing unrelated calls in flight.
 */
function hangUp(stream: Awaited<ReturnType<RPC.WatchClient['watch']>>): void {
  stream.on('error', () => undefined)
  stream.end()
  stream.cancel()
}

/** Connect to etcd and check it answers; errors say which endpoint and what to check. */
export async function openEtcdStore(opts: EtcdStoreOptions): Promise<EtcdStore> {
  if (opts.endpoints.length === 0) throw new Error('no etcd endpoints given: pass --etcd-servers https://HOST:2379[,…]')
  const https = opts.endpoints.some((e) => e.startsWith('https://'))
  if (https && !opts.tls)
    throw new Error(
      `etcd endpoints ${opts.endpoints.join(',')} use https: pass --etcd-cafile (and --etcd-certfile/--etcd-keyfile if etcd checks client certificates)`,
    )
  const options: IOptions = {
    hosts: [...opts.endpoints],
    dialTimeout: opts.dialTimeoutMs ?? 20_000,
    grpcOptions: {
      // Large lists arrive in one Range response; grpc-js would cap them at 4 MiB.
      'grpc.max_receive_message_length': 256 * 1024 * 1024,
      // As the apiserver's etcd client: notice a dead member in ≤ 40 s instead of ~20 min.
      'grpc.keepalive_time_ms': 30_000,
      'grpc.keepalive_timeout_ms': 10_000,
    },
    ...(opts.tls ? { credentials: { rootCertificate: opts.tls.ca, certChain: opts.tls.cert, privateKey: opts.tls.key } } : {}),
  }
  const [{ Etcd3, isRecoverableError }, { EtcdMemberGates }] = await Promise.all([import('etcd3'), import('./etcd-member-gate')])
  // Not the package's 5 s circuit breaker per member: a restarted etcd serves at once (etcd-member-gate.ts).
  const client = new Etcd3({ ...options, faultHandling: { host: new EtcdMemberGates({ isMemberFailure: isRecoverableError }).forMember } })
  const store = new EtcdStore(client, opts)
  const deadline = Date.now() + (opts.dialTimeoutMs ?? 20_000)
  for (;;) {
    try {
      store.seen((await client.kv.range({ key: PROBE_KEY })).header)
      store.noteCompacted(await store.probeCompacted())
      break
    } catch (e) {
      if (Date.now() > deadline || !isUnavailable(e)) {
        client.close()
        throw etcdError(e, 'connecting', opts.endpoints.join(','), 0)
      }
      await new Promise((r) => setTimeout(r, 200))
    }
  }
  store.startCompactor(opts.compactionIntervalMs ?? 5 * 60_000)
  return store
}
