import { afterEach, describe, expect, it } from 'vitest'
import { mkdtemp, readdir, rm, stat, truncate, writeFile, appendFile, readFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import * as path from 'node:path'
import { createMemoryStore, openStore, StoreError, type Storage, type WatchEvent } from '../../src-cluster/store'
import type { EmbeddedStore, StoreOptions } from '../../src-cluster/store'

const dirs: string[] = []
const open: EmbeddedStore[] = []

async function tempDir(): Promise<string> {
  const d = await mkdtemp(path.join(tmpdir(), 'kubelab-store-'))
  dirs.push(d)
  return d
}

async function durable(dataDir: string, extra: Partial<StoreOptions> = {}): Promise<EmbeddedStore> {
  const warnings: string[] = []
  const s = await openStore({ dataDir, onWarning: (m) => warnings.push(m), ...extra })
  open.push(s)
  return s
}

afterEach(async () => {
  for (const s of open.splice(0)) await s.close()
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true })
})

const create = (s: Storage, key: string, value: string) => s.txn([{ key, target: 'modRevision', equals: 0 }], [{ type: 'put', key, value }])
const put = (s: Storage, key: string, value: string) => s.txn([], [{ type: 'put', key, value }])
const del = (s: Storage, key: string) => s.txn([], [{ type: 'delete', key }])

/** Collect watch batches until `n` events arrived. */
function collect(s: Storage, prefix: string, after: number, n: number) {
  const batches: { revision: number; events: readonly WatchEvent[] }[] = []
  let resolveDone: () => void = () => undefined
  let rejectDone: (e: StoreError) => void = () => undefined
  const done = new Promise<void>((res, rej) => {
    resolveDone = res
    rejectDone = rej
  })
  let count = 0
  const w = s.watch(
    prefix,
    { afterRevision: after },
    (events, revision) => {
      batches.push({ revision, events })
      count += events.length
      if (count >= n) resolveDone()
    },
    (err) => rejectDone(err),
  )
  return { batches, done, cancel: () => w.cancel() }
}

describe('embedded store: MVCC semantics (memory)', () => {
  it('starts at revision 1 and gives one revision per write txn', async () => {
    const s = createMemoryStore()
    expect(s.revision()).toBe(1)
    const r1 = await create(s, '/a', '1')
    expect(r1).toMatchObject({ succeeded: true, revision: 2 })
    expect(r1.kvs[0]).toEqual({ key: '/a', value: '1', createRevision: 2, modRevision: 2, version: 1 })
    const r2 = await s.txn([], [{ type: 'put', key: '/a', value: '2' }, { type: 'put', key: '/b', value: 'x' }])
    expect(r2.revision).toBe(3)
    expect(await s.get('/a')).toEqual({ key: '/a', value: '2', createRevision: 2, modRevision: 3, version: 2 })
    expect((await s.get('/b'))?.modRevision).toBe(3)
    expect(s.revision()).toBe(3)
    // A delete of an absent key writes nothing and does not move the revision.
    const r3 = await del(s, '/nope')
    expect(r3).toEqual({ succeeded: true, revision: 3, kvs: [undefined] })
    const r4 = await del(s, '/a')
    expect(r4.revision).toBe(4)
    expect(r4.kvs[0]?.value).toBe('2')
    expect(await s.get('/a')).toBeUndefined()
    // Re-creating restarts version and createRevision.
    const r5 = await put(s, '/a', 'again')
    expect(r5.kvs[0]).toMatchObject({ createRevision: 5, modRevision: 5, version: 1 })
  })

  it('compares modRevision and existence; failure returns current values and runs failure ops', async () => {
    const s = createMemoryStore()
    const { revision } = await create(s, '/k', 'v1')
    const dup = await create(s, '/k', 'other')
    expect(dup.succeeded).toBe(false)
    expect(dup.revision).toBe(revision)
    expect(dup.kvs[0]?.value).toBe('v1')

    const stale = await s.txn([{ key: '/k', target: 'modRevision', equals: revision - 1 }], [{ type: 'put', key: '/k', value: 'bad' }])
    expect(stale.succeeded).toBe(false)
    expect((await s.get('/k'))?.value).toBe('v1')

    const ok = await s.txn([{ key: '/k', target: 'modRevision', equals: revision }], [{ type: 'put', key: '/k', value: 'v2' }])
    expect(ok.succeeded).toBe(true)
    expect((await s.get('/k'))?.value).toBe('v2')

    expect((await s.txn([{ key: '/k', target: 'exists', equals: true }], [])).succeeded).toBe(true)
    expect((await s.txn([{ key: '/zz', target: 'exists', equals: true }], [])).succeeded).toBe(false)
    expect((await s.txn([{ key: '/zz', target: 'exists', equals: false }], [])).succeeded).toBe(true)

    const withFailure = await s.txn([{ key: '/zz', target: 'exists', equals: true }], [], [{ type: 'put', key: '/fallback', value: 'f' }])
    expect(withFailure.succeeded).toBe(false)
    expect(withFailure.kvs).toEqual([undefined])
    expect((await s.get('/fallback'))?.value).toBe('f')
  })

  it('rejects duplicate keys and oversized values', async () => {
    const s = createMemoryStore({ maxValueBytes: 10 })
    await expect(s.txn([], [{ type: 'put', key: '/a', value: '1' }, { type: 'delete', key: '/a' }])).rejects.toThrow(/two operations on key "\/a"/)
    const err = await s.txn([], [{ type: 'put', key: '/a', value: 'x'.repeat(11) }]).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(StoreError)
    expect((err as StoreError).code).toBe('too-large')
    expect(s.revision()).toBe(1)
  })

  it('ranges by prefix in key order with limit, startAfter, count and more', async () => {
    const s = createMemoryStore()
    for (const k of ['/p/c', '/p/a', '/q/x', '/p/b', '/p/d', '/pz', '/o']) await put(s, k, k)
    const all = await s.range('/p/')
    expect(all.kvs.map((kv) => kv.key)).toEqual(['/p/a', '/p/b', '/p/c', '/p/d'])
    expect(all).toMatchObject({ count: 4, more: false, revision: s.revision() })

    const page1 = await s.range('/p/', { limit: 2 })
    expect(page1.kvs.map((kv) => kv.key)).toEqual(['/p/a', '/p/b'])
    expect(page1).toMatchObject({ more: true, count: 4 })
    const page2 = await s.range('/p/', { limit: 2, startAfter: '/p/b' })
    expect(page2.kvs.map((kv) => kv.key)).toEqual(['/p/c', '/p/d'])
    expect(page2).toMatchObject({ more: false, count: 4 })

    await del(s, '/p/b')
    const after = await s.range('/p/')
    expect(after.kvs.map((kv) => kv.key)).toEqual(['/p/a', '/p/c', '/p/d'])
    expect(after.count).toBe(3)
    expect((await s.range('')).count).toBe(6)
    expect((await s.range('/none/')).kvs).toEqual([])
  })

  it('reads the past at a revision, with counts, and refuses compacted or future revisions', async () => {
    const s = createMemoryStore()
    await put(s, '/r/a', 'a1') // 2
    await put(s, '/r/b', 'b1') // 3
    const mid = s.revision()
    await put(s, '/r/a', 'a2') // 4
    await del(s, '/r/b') // 5
    await put(s, '/r/c', 'c1') // 6
    const past = await s.range('/r/', { revision: mid })
    expect(past.kvs.map((kv) => [kv.key, kv.value])).toEqual([['/r/a', 'a1'], ['/r/b', 'b1']])
    expect(past).toMatchObject({ revision: mid, count: 2 })
    const pastPage = await s.range('/r/', { revision: mid, limit: 1, startAfter: '/r/a' })
    expect(pastPage.kvs.map((kv) => kv.key)).toEqual(['/r/b'])
    expect(pastPage).toMatchObject({ count: 2, more: false })
    const now = await s.range('/r/')
    expect(now.kvs.map((kv) => [kv.key, kv.value])).toEqual([['/r/a', 'a2'], ['/r/c', 'c1']])

    await s.compact(4)
    expect(s.compactedRevision()).toBe(4)
    const atCompact = await s.range('/r/', { revision: 4 })
    expect(atCompact.kvs.map((kv) => [kv.key, kv.value])).toEqual([['/r/a', 'a2'], ['/r/b', 'b1']])
    await expect(s.range('/r/', { revision: 3 })).rejects.toMatchObject({ code: 'compacted', compactRevision: 4 })
    await expect(s.range('/r/', { revision: 99 })).rejects.toMatchObject({ code: 'too-large' })
  })

  it('delivers watch events in revision order, grouped per revision, with prevKv', async () => {
    const s = createMemoryStore()
    await put(s, '/w/a', 'a0') // 2: before the watch starts
    const start = s.revision()
    const w = collect(s, '/w/', start, 4)
    await put(s, '/w/a', 'a1') // 3
    await s.txn([], [{ type: 'put', key: '/w/b', value: 'b1' }, { type: 'put', key: '/other', value: 'x' }, { type: 'put', key: '/w/c', value: 'c1' }]) // 4
    await del(s, '/w/a') // 5
    await put(s, '/other', 'y') // 6: filtered out
    await w.done
    w.cancel()
    expect(w.batches.map((b) => b.revision)).toEqual([3, 4, 5])
    expect(w.batches[1].events.map((e) => e.kv.key)).toEqual(['/w/b', '/w/c'])
    const [upd] = w.batches[0].events
    expect(upd).toMatchObject({ type: 'put', kv: { value: 'a1', version: 2 }, prevKv: { value: 'a0', modRevision: 2 } })
    expect(w.batches[1].events[0].prevKv).toBeUndefined()
    const [gone] = w.batches[2].events
    expect(gone).toMatchObject({ type: 'delete', kv: { key: '/w/a', modRevision: 5, value: 'a1' }, prevKv: { value: 'a1' } })
  })

  it('replays history for a watch from an older revision, and fails with compacted when too old', async () => {
    const s = createMemoryStore({ historyLimit: 5 })
    for (let i = 0; i < 20; i++) await put(s, `/h/${i}`, String(i))
    // 20 revisions written, at least 5 events kept.
    expect(s.compactedRevision()).toBeGreaterThan(1)
    const oldest = s.compactedRevision()
    const replay = collect(s, '/h/', oldest, s.revision() - oldest)
    await replay.done
    replay.cancel()
    expect(replay.batches.map((b) => b.revision)).toEqual(Array.from({ length: s.revision() - oldest }, (_, i) => oldest + 1 + i))

    const err = await new Promise<StoreError>((resolve) => {
      s.watch('/h/', { afterRevision: oldest - 1 }, () => undefined, resolve)
    })
    expect(err.code).toBe('compacted')
    expect(err.compactRevision).toBe(oldest)
    // Old versions of compacted keys are pruned but current ones stay readable.
    expect((await s.range('/h/')).count).toBe(20)
  })

  it('ends a watcher that falls too far behind with compacted, without slowing writers', async () => {
    const s = createMemoryStore({ watchQueueLimit: 10 })
    let release: () => void = () => undefined
    const gate = new Promise<void>((r) => (release = r))
    let delivered = 0
    const error = new Promise<StoreError>((resolve) => {
      s.watch(
        '/s/',
        { afterRevision: s.revision() },
        () => {
          delivered++
          return gate // back-pressure: nothing more until released
        },
        resolve,
      )
    })
    await put(s, '/s/first', 'v')
    await new Promise((r) => setImmediate(r)) // first batch delivered; the handler now holds the gate
    for (let i = 0; i < 30; i++) await put(s, `/s/${i}`, 'v')
    const err = await error
    expect(err.code).toBe('compacted')
    expect(err.message).toMatch(/fell .* behind/)
    expect(delivered).toBe(1)
    expect(s.revision()).toBe(32)
    release()
  })

  it('notifies watchers when the store closes and refuses use afterwards', async () => {
    const s = createMemoryStore()
    const err = new Promise<StoreError>((resolve) => s.watch('', { afterRevision: 1 }, () => undefined, resolve))
    await s.close()
    expect((await err).code).toBe('closed')
    await expect(s.get('/a')).rejects.toMatchObject({ code: 'closed' })
    await expect(put(s, '/a', '1')).rejects.toMatchObject({ code: 'closed' })
  })

  it('keeps range costs independent of unrelated keys (many keys, sorted correctly)', async () => {
    const s = createMemoryStore()
    const keys: string[] = []
    for (let i = 0; i < 3000; i++) keys.push(`/many/${String((i * 7919) % 3000).padStart(5, '0')}`)
    for (let i = 0; i < keys.length; i += 100) await s.txn([], keys.slice(i, i + 100).map((key) => ({ type: 'put' as const, key, value: key })))
    const r = await s.range('/many/', { limit: 10, startAfter: '/many/01000' })
    expect(r.kvs.map((kv) => kv.key)).toEqual(Array.from({ length: 10 }, (_, i) => `/many/${String(1001 + i).padStart(5, '0')}`))
    expect(r.count).toBe(3000)
    expect(r.more).toBe(true)
    for (let i = 0; i < 3000; i += 2) await del(s, `/many/${String(i).padStart(5, '0')}`)
    const rest = await s.range('/many/')
    expect(rest.count).toBe(1500)
    expect(rest.kvs.every((kv, i) => kv.key === `/many/${String(2 * i + 1).padStart(5, '0')}`)).toBe(true)
  })
})

describe('embedded store: durability', () => {
  it('recovers everything after a restart, keeping revisions and watch history', async () => {
    const dir = await tempDir()
    const s = await durable(dir)
    await Promise.all(Array.from({ length: 50 }, (_, i) => create(s, `/d/${i}`, `v${i}`)))
    await put(s, '/d/0', 'changed')
    await del(s, '/d/1')
    const rev = s.revision()
    await s.close()
    open.splice(open.indexOf(s), 1)

    const again = await durable(dir)
    expect(again.revision()).toBe(rev)
    const all = await again.range('/d/')
    expect(all.count).toBe(49)
    expect((await again.get('/d/0'))).toMatchObject({ value: 'changed', version: 2 })
    expect(await again.get('/d/1')).toBeUndefined()
    // History survived too: a watch from before the restart still works.
    const w = collect(again, '/d/', rev - 2, 2)
    await w.done
    w.cancel()
    expect(w.batches.map((b) => b.events[0].type)).toEqual(['put', 'delete'])
    // And new writes continue the revision sequence.
    expect((await put(again, '/d/new', 'n')).revision).toBe(rev + 1)
  })

  it('replays the log when the process dies without closing (no final snapshot)', async () => {
    const dir = await tempDir()
    const s = await durable(dir)
    for (let i = 0; i < 20; i++) await put(s, `/c/${i}`, String(i))
    // Simulate a crash: drop the store without close(); only the lock file would block, and
    // it names our own pid, so reopen from a copy of the files instead.
    const copy = await tempDir()
    for (const name of await readdir(dir)) if (name !== 'LOCK') await writeFile(path.join(copy, name), await readFile(path.join(dir, name)))
    const again = await durable(copy)
    expect(again.recovery.replayedRecords).toBe(20)
    expect(again.recovery.snapshotRevision).toBeUndefined()
    expect((await again.range('/c/')).count).toBe(20)
    expect(again.revision()).toBe(s.revision())
  })

  it('cuts a torn last record and opens cleanly', async () => {
    const dir = await tempDir()
    const s = await durable(dir)
    for (let i = 0; i < 10; i++) await put(s, `/t/${i}`, String(i))
    const copy = await tempDir()
    const names = (await readdir(dir)).filter((n) => n.startsWith('wal-'))
    expect(names).toHaveLength(1)
    const wal = path.join(copy, names[0])
    await writeFile(wal, await readFile(path.join(dir, names[0])))
    const size = (await stat(wal)).size
    // Half of the last record reached the disk.
    await truncate(wal, size - 5)
    const torn = await durable(copy)
    expect(torn.recovery.truncatedBytes).toBeGreaterThan(0)
    expect(torn.revision()).toBe(10)
    expect(await torn.get('/t/9')).toBeUndefined()
    expect((await torn.get('/t/8'))?.value).toBe('8')
    expect((await put(torn, '/t/9', 'again')).revision).toBe(11)
    await torn.close()
    open.splice(open.indexOf(torn), 1)
    const reopened = await durable(copy)
    expect((await reopened.get('/t/9'))?.value).toBe('again')
  })

  it('cuts garbage appended after the last record', async () => {
    const dir = await tempDir()
    const s = await durable(dir, { snapshotEvery: 1000 })
    await put(s, '/g/1', 'x')
    const copy = await tempDir()
    const name = (await readdir(dir)).find((n) => n.startsWith('wal-')) ?? ''
    await writeFile(path.join(copy, name), await readFile(path.join(dir, name)))
    await appendFile(path.join(copy, name), Buffer.from([9, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7]))
    const again = await durable(copy)
    expect(again.recovery.truncatedBytes).toBe(11)
    expect((await again.get('/g/1'))?.value).toBe('x')
  })

  it('snapshots every N records, deletes old segments, and recovers from snapshot + log', async () => {
    const dir = await tempDir()
    const s = await durable(dir, { snapshotEvery: 25, historyLimit: 30 })
    for (let i = 0; i < 110; i++) await put(s, `/s/${i % 40}`, `v${i}`)
    await s.snapshot() // let the background snapshot settle
    for (let i = 0; i < 7; i++) await put(s, `/s/extra${i}`, 'e')
    const files = await readdir(dir)
    expect(files.filter((f) => f.startsWith('snap-'))).toHaveLength(1)
    expect(files.filter((f) => f.startsWith('wal-')).length).toBeLessThanOrEqual(2)
    const rev = s.revision()
    const expected = await s.range('/s/')
    const compactRev = s.compactedRevision()

    const copy = await tempDir()
    for (const name of files) if (name !== 'LOCK') await writeFile(path.join(copy, name), await readFile(path.join(dir, name)))
    const again = await durable(copy, { historyLimit: 30 })
    expect(again.recovery.snapshotRevision).toBeDefined()
    expect(again.recovery.replayedRecords).toBe(7)
    expect(again.revision()).toBe(rev)
    expect(again.compactedRevision()).toBe(compactRev)
    expect(await again.range('/s/')).toEqual(expected)
    // Watch history was rebuilt from the snapshot's versions.
    const w = collect(again, '/s/', compactRev, rev - compactRev)
    await w.done
    w.cancel()
    expect(w.batches[0].revision).toBe(compactRev + 1)
  })

  it('compact() survives a restart', async () => {
    const dir = await tempDir()
    const s = await durable(dir)
    for (let i = 0; i < 10; i++) await put(s, '/x', String(i))
    await s.compact(8)
    await expect(s.range('/x', { revision: 5 })).rejects.toMatchObject({ code: 'compacted' })
    await s.close()
    open.splice(open.indexOf(s), 1)
    const again = await durable(dir)
    expect(again.compactedRevision()).toBe(8)
    expect((await again.range('/x', { revision: 8 })).kvs[0].value).toBe('6')
  })

  it('refuses a damaged snapshot with a message naming the file', async () => {
    const dir = await tempDir()
    const s = await durable(dir)
    for (let i = 0; i < 5; i++) await put(s, `/z/${i}`, String(i))
    await s.close()
    open.splice(open.indexOf(s), 1)
    const snap = (await readdir(dir)).find((n) => n.startsWith('snap-')) ?? ''
    expect(snap).not.toBe('')
    const data = await readFile(path.join(dir, snap))
    data[data.length - 20] ^= 0xff
    await writeFile(path.join(dir, snap), data)
    const err = await openStore({ dataDir: dir, onWarning: () => undefined }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(StoreError)
    expect((err as StoreError).message).toContain(snap)
    expect((err as StoreError).message).toMatch(/damaged/)
    // The lock was released, so fixing the file lets it open.
  })

  it('says which directory is unusable and what to do', async () => {
    const dir = await tempDir()
    await writeFile(path.join(dir, 'file'), 'x')
    const err = await openStore({ dataDir: path.join(dir, 'file', 'sub') }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(StoreError)
    expect((err as StoreError).code).toBe('io')
    expect((err as StoreError).message).toContain(path.join(dir, 'file', 'sub'))
    expect((err as StoreError).message).toMatch(/not a directory|choose another data directory/)
  })

  it('refuses to open a directory already open in this process', async () => {
    const dir = await tempDir()
    await durable(dir)
    await expect(openStore({ dataDir: dir })).rejects.toThrow(/already open/)
  })

  it('group-commits concurrent writers and acknowledges each with its own revision', async () => {
    const dir = await tempDir()
    const s = await durable(dir)
    const results = await Promise.all(Array.from({ length: 200 }, (_, i) => put(s, `/gc/${i}`, String(i))))
    const revs = results.map((r) => r.revision).sort((a, b) => a - b)
    expect(revs).toEqual(Array.from({ length: 200 }, (_, i) => i + 2))
    // Visible only once durable: every acknowledged write is readable.
    for (const r of results) expect(r.revision).toBeLessThanOrEqual(s.revision())
  })
})
