// One storage conformance suite, run against every backend behind src-cluster/store/types.ts:
// the embedded store (in memory and durable) and a real etcd (Debian etcd-server, one throwaway
// member per file, TLS with client certificates). Tests use their own key prefix and count
// revisions from where they start, so they can share one etcd.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createMemoryStore, openStore, StoreError, type Storage } from '../../src-cluster/store'
import { startTestEtcd, type TestEtcd } from '../helpers/etcd'
import { collect, create, del, put } from '../helpers/store-ops'

interface BackendOptions {
  maxValueBytes?: number
  watchQueueLimit?: number
}

interface Backend {
  readonly name: string
  setup(): Promise<void>
  open(opts?: BackendOptions): Promise<Storage>
  teardown(): Promise<void>
}

const dirs: string[] = []
let etcd: TestEtcd | undefined

const backends: Backend[] = [
  { name: 'embedded (memory)', setup: async () => undefined, open: async (o = {}) => createMemoryStore(o), teardown: async () => undefined },
  {
    name: 'embedded (durable)',
    setup: async () => undefined,
    open: async (o = {}) => {
      const d = mkdtempSync(join(tmpdir(), 'kubelab-conf-'))
      dirs.push(d)
      return openStore({ dataDir: d, onWarning: () => undefined, ...o })
    },
    teardown: async () => {
      for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
    },
  },
  {
    name: 'etcd',
    setup: async () => {
      etcd = await startTestEtcd({ tls: true })
    },
    open: async (o = {}) => {
      if (!etcd) throw new Error('etcd not started')
      return etcd.open(o)
    },
    teardown: async () => {
      await etcd?.stop()
    },
  },
]

let seq = 0
const unique = () => `/conf${++seq}-${Date.now().toString(36)}`

describe.each(backends)('storage conformance: $name', (backend) => {
  const opened: Storage[] = []
  const open = async (o?: BackendOptions) => {
    const s = await backend.open(o)
    opened.push(s)
    return s
  }
  beforeAll(() => backend.setup(), 30_000)
  afterAll(async () => {
    for (const s of opened) await s.close()
    await backend.teardown()
  })

  it('gives one revision per write txn; resourceVersion = modRevision', async () => {
    const s = await open()
    const p = unique()
    const base = s.revision()
    const r1 = await create(s, `${p}/a`, '1')
    expect(r1).toMatchObject({ succeeded: true, revision: base + 1 })
    expect(r1.kvs[0]).toEqual({ key: `${p}/a`, value: '1', createRevision: base + 1, modRevision: base + 1, version: 1 })
    const r2 = await s.txn(
      [],
      [
        { type: 'put', key: `${p}/a`, value: '2' },
        { type: 'put', key: `${p}/b`, value: 'x' },
      ],
    )
    expect(r2.revision).toBe(base + 2)
    expect(await s.get(`${p}/a`)).toEqual({ key: `${p}/a`, value: '2', createRevision: base + 1, modRevision: base + 2, version: 2 })
    expect((await s.get(`${p}/b`))?.modRevision).toBe(base + 2)
    expect(s.revision()).toBe(base + 2)
    // A delete of an absent key writes nothing and does not move the revision.
    const r3 = await del(s, `${p}/nope`)
    expect(r3).toEqual({ succeeded: true, revision: base + 2, kvs: [undefined] })
    const r4 = await del(s, `${p}/a`)
    expect(r4.revision).toBe(base + 3)
    expect(r4.kvs[0]?.value).toBe('2')
    expect(await s.get(`${p}/a`)).toBeUndefined()
    // Re-creating restarts version and createRevision.
    const r5 = await put(s, `${p}/a`, 'again')
    expect(r5.kvs[0]).toMatchObject({ createRevision: base + 4, modRevision: base + 4, version: 1 })
  })

  it('compares modRevision and existence (CAS); failure returns current values and runs failure ops', async () => {
    const s = await open()
    const p = unique()
    const { revision } = await create(s, `${p}/k`, 'v1')
    const dup = await create(s, `${p}/k`, 'other')
    expect(dup.succeeded).toBe(false)
    expect(dup.revision).toBe(revision)
    expect(dup.kvs[0]?.value).toBe('v1')

    const stale = await s.txn([{ key: `${p}/k`, target: 'modRevision', equals: revision - 1 }], [{ type: 'put', key: `${p}/k`, value: 'bad' }])
    expect(stale.succeeded).toBe(false)
    expect((await s.get(`${p}/k`))?.value).toBe('v1')

    const ok = await s.txn([{ key: `${p}/k`, target: 'modRevision', equals: revision }], [{ type: 'put', key: `${p}/k`, value: 'v2' }])
    expect(ok.succeeded).toBe(true)
    expect((await s.get(`${p}/k`))?.value).toBe('v2')

    expect((await s.txn([{ key: `${p}/k`, target: 'exists', equals: true }], [])).succeeded).toBe(true)
    expect((await s.txn([{ key: `${p}/zz`, target: 'exists', equals: true }], [])).succeeded).toBe(false)
    expect((await s.txn([{ key: `${p}/zz`, target: 'exists', equals: false }], [])).succeeded).toBe(true)

    const withFailure = await s.txn([{ key: `${p}/zz`, target: 'exists', equals: true }], [], [{ type: 'put', key: `${p}/fallback`, value: 'f' }])
    expect(withFailure.succeeded).toBe(false)
    expect(withFailure.kvs).toEqual([undefined])
    expect((await s.get(`${p}/fallback`))?.value).toBe('f')
  })

  it('rejects duplicate keys and oversized values without writing', async () => {
    const s = await open({ maxValueBytes: 10 })
    const p = unique()
    const base = s.revision()
    await expect(
      s.txn(
        [],
        [
          { type: 'put', key: `${p}/a`, value: '1' },
          { type: 'delete', key: `${p}/a` },
        ],
      ),
    ).rejects.toThrow(/two operations on key/)
    const err = await s.txn([], [{ type: 'put', key: `${p}/a`, value: 'x'.repeat(11) }]).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(StoreError)
    expect((err as StoreError).code).toBe('too-large')
    expect(await s.get(`${p}/a`)).toBeUndefined()
    expect(s.revision()).toBe(base)
  })

  it('ranges by prefix in key order with limit, startAfter (continue), count and more', async () => {
    const s = await open()
    const p = unique()
    for (const k of ['/p/c', '/p/a', '/q/x', '/p/b', '/p/d', '/pz', '/o']) await put(s, p + k, k)
    const all = await s.range(`${p}/p/`)
    expect(all.kvs.map((kv) => kv.key)).toEqual(['/p/a', '/p/b', '/p/c', '/p/d'].map((k) => p + k))
    expect(all).toMatchObject({ count: 4, more: false, revision: s.revision() })

    const page1 = await s.range(`${p}/p/`, { limit: 2 })
    expect(page1.kvs.map((kv) => kv.key)).toEqual([`${p}/p/a`, `${p}/p/b`])
    expect(page1).toMatchObject({ more: true, count: 4 })
    const page2 = await s.range(`${p}/p/`, { limit: 2, startAfter: `${p}/p/b`, revision: page1.revision })
    expect(page2.kvs.map((kv) => kv.key)).toEqual([`${p}/p/c`, `${p}/p/d`])
    expect(page2).toMatchObject({ more: false, count: 4, revision: page1.revision })

    await del(s, `${p}/p/b`)
    const after = await s.range(`${p}/p/`)
    expect(after.kvs.map((kv) => kv.key)).toEqual([`${p}/p/a`, `${p}/p/c`, `${p}/p/d`])
    expect(after.count).toBe(3)
    expect((await s.range(p)).count).toBe(6)
    expect((await s.range(`${p}/none/`)).kvs).toEqual([])
    // A later page read at the first page's revision still sees the deleted key.
    const old = await s.range(`${p}/p/`, { startAfter: `${p}/p/a`, revision: page1.revision })
    expect(old.kvs.map((kv) => kv.key)).toEqual([`${p}/p/b`, `${p}/p/c`, `${p}/p/d`])
  })

  it('reads the past at a revision, and refuses compacted (with the compact revision) or future revisions', async () => {
    const s = await open()
    const p = unique()
    const base = s.revision()
    await put(s, `${p}/a`, 'a1') // base+1
    await put(s, `${p}/b`, 'b1') // base+2
    const mid = s.revision()
    await put(s, `${p}/a`, 'a2') // base+3
    await del(s, `${p}/b`) // base+4
    await put(s, `${p}/c`, 'c1') // base+5
    const past = await s.range(`${p}/`, { revision: mid })
    expect(past.kvs.map((kv) => [kv.key, kv.value])).toEqual([
      [`${p}/a`, 'a1'],
      [`${p}/b`, 'b1'],
    ])
    expect(past).toMatchObject({ revision: mid, count: 2 })
    const pastPage = await s.range(`${p}/`, { revision: mid, limit: 1, startAfter: `${p}/a` })
    expect(pastPage.kvs.map((kv) => kv.key)).toEqual([`${p}/b`])
    expect(pastPage).toMatchObject({ count: 2, more: false })
    const now = await s.range(`${p}/`)
    expect(now.kvs.map((kv) => [kv.key, kv.value])).toEqual([
      [`${p}/a`, 'a2'],
      [`${p}/c`, 'c1'],
    ])

    await s.compact(base + 3)
    expect(s.compactedRevision()).toBe(base + 3)
    const atCompact = await s.range(`${p}/`, { revision: base + 3 })
    expect(atCompact.kvs.map((kv) => [kv.key, kv.value])).toEqual([
      [`${p}/a`, 'a2'],
      [`${p}/b`, 'b1'],
    ])
    await expect(s.range(`${p}/`, { revision: mid })).rejects.toMatchObject({ code: 'compacted', compactRevision: base + 3 })
    await expect(s.range(`${p}/`, { revision: mid, startAfter: `${p}/a` })).rejects.toMatchObject({ code: 'compacted' })
    await expect(s.range(`${p}/`, { revision: s.revision() + 100 })).rejects.toMatchObject({ code: 'too-large' })
    // Compacting again at or before the compact revision changes nothing.
    await s.compact(base + 2)
    expect(s.compactedRevision()).toBe(base + 3)
  })

  it('delivers watch events in revision order, grouped per revision, with prevKv', async () => {
    const s = await open()
    const p = unique()
    await put(s, `${p}/w/a`, 'a0') // before the watch starts
    const start = s.revision()
    const w = collect(s, `${p}/w/`, start, 4)
    await put(s, `${p}/w/a`, 'a1') // start+1
    await s.txn(
      [],
      [
        { type: 'put', key: `${p}/w/b`, value: 'b1' },
        { type: 'put', key: `${p}/other`, value: 'x' },
        { type: 'put', key: `${p}/w/c`, value: 'c1' },
      ],
    ) // +2
    await del(s, `${p}/w/a`) // +3
    await put(s, `${p}/other`, 'y') // +4: filtered out
    await w.done
    w.cancel()
    expect(w.batches.map((b) => b.revision)).toEqual([start + 1, start + 2, start + 3])
    expect(w.batches[1].events.map((e) => e.kv.key)).toEqual([`${p}/w/b`, `${p}/w/c`])
    const [upd] = w.batches[0].events
    expect(upd).toMatchObject({ type: 'put', kv: { value: 'a1', version: 2, modRevision: start + 1 }, prevKv: { value: 'a0', modRevision: start } })
    expect(w.batches[1].events[0].prevKv).toBeUndefined()
    const [gone] = w.batches[2].events
    expect(gone).toMatchObject({ type: 'delete', kv: { key: `${p}/w/a`, modRevision: start + 3, value: 'a1' }, prevKv: { value: 'a1' } })
  })

  it('replays history for a watch from an older revision; fails with compacted (410) when older than the compaction', async () => {
    const s = await open()
    const p = unique()
    const base = s.revision()
    for (let i = 0; i < 20; i++) await put(s, `${p}/${i}`, String(i))
    const from = base + 10
    await s.compact(from)
    const replay = collect(s, `${p}/`, from, 10)
    await replay.done
    replay.cancel()
    expect(replay.batches.map((b) => b.revision)).toEqual(Array.from({ length: 10 }, (_, i) => from + 1 + i))

    const err = await new Promise<StoreError>((resolve) => {
      s.watch(`${p}/`, { afterRevision: from - 2 }, () => undefined, resolve)
    })
    expect(err.code).toBe('compacted')
    expect(err.compactRevision).toBe(from)
    // Old versions are gone but current ones stay readable.
    expect((await s.range(`${p}/`)).count).toBe(20)
  })

  it('ends a watcher that falls too far behind with compacted, without slowing writers', async () => {
    const s = await open({ watchQueueLimit: 10 })
    const p = unique()
    let release: () => void = () => undefined
    const gate = new Promise<void>((r) => (release = r))
    let delivered = 0
    let firstDelivered: () => void = () => undefined
    const first = new Promise<void>((r) => (firstDelivered = r))
    const base = s.revision()
    const error = new Promise<StoreError>((resolve) => {
      s.watch(
        `${p}/`,
        { afterRevision: base },
        () => {
          delivered++
          firstDelivered()
          return gate // back-pressure: nothing more until released
        },
        resolve,
      )
    })
    await put(s, `${p}/first`, 'v')
    await first // the handler now holds the gate
    for (let i = 0; i < 30; i++) await put(s, `${p}/${i}`, 'v')
    const err = await error
    expect(err.code).toBe('compacted')
    expect(err.message).toMatch(/fell .* behind/)
    expect(delivered).toBe(1)
    expect(s.revision()).toBe(base + 31)
    release()
  })

  it('notifies watchers when the store closes and refuses use afterwards', async () => {
    const s = await open()
    const err = new Promise<StoreError>((resolve) => s.watch(unique(), { afterRevision: s.revision() }, () => undefined, resolve))
    await s.close()
    expect((await err).code).toBe('closed')
    await expect(s.get('/a')).rejects.toMatchObject({ code: 'closed' })
    await expect(put(s, '/a', '1')).rejects.toMatchObject({ code: 'closed' })
  })

  it('keeps many keys sorted and counted (pages through 1500 keys)', async () => {
    const s = await open()
    const p = unique()
    const keys: string[] = []
    for (let i = 0; i < 1500; i++) keys.push(`${p}/${String((i * 7919) % 1500).padStart(5, '0')}`)
    for (let i = 0; i < keys.length; i += 100)
      await s.txn(
        [],
        keys.slice(i, i + 100).map((key) => ({ type: 'put' as const, key, value: key })),
      )
    const r = await s.range(`${p}/`, { limit: 10, startAfter: `${p}/01000` })
    expect(r.kvs.map((kv) => kv.key)).toEqual(Array.from({ length: 10 }, (_, i) => `${p}/${String(1001 + i).padStart(5, '0')}`))
    expect(r.count).toBe(1500)
    expect(r.more).toBe(true)
    const evens = Array.from({ length: 750 }, (_, i) => `${p}/${String(2 * i).padStart(5, '0')}`)
    for (let i = 0; i < evens.length; i += 100)
      await s.txn(
        [],
        evens.slice(i, i + 100).map((key) => ({ type: 'delete' as const, key })),
      )
    const rest = await s.range(`${p}/`)
    expect(rest.count).toBe(750)
    expect(rest.kvs.every((kv, i) => kv.key === `${p}/${String(2 * i + 1).padStart(5, '0')}`)).toBe(true)
  })
})
