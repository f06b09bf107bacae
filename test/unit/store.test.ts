import { afterEach, describe, expect, it } from 'vitest'
import { mkdtemp, readdir, rm, stat, truncate, writeFile, appendFile, readFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import * as path from 'node:path'
import { createMemoryStore, openStore, StoreError } from '../../src-cluster/store'
import type { EmbeddedStore, StoreOptions } from '../../src-cluster/store'
import { collect, create, del, put } from '../helpers/store-ops'

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

// The behaviour every backend shares is in test/integration/store-conformance.test.ts (run
// against the embedded store and a real etcd); this file keeps what is the embedded store's own.
describe('embedded store: MVCC semantics (memory)', () => {
  it('starts at revision 1 and gives one revision per write txn', async () => {
    const s = createMemoryStore()
    expect(s.revision()).toBe(1)
    const r1 = await create(s, '/a', '1')
    expect(r1).toMatchObject({ succeeded: true, revision: 2 })
    expect(r1.kvs[0]).toEqual({ key: '/a', value: '1', createRevision: 2, modRevision: 2, version: 1 })
    const r2 = await s.txn(
      [],
      [
        { type: 'put', key: '/a', value: '2' },
        { type: 'put', key: '/b', value: 'x' },
      ],
    )
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
})

describe('embedded store: superseded versions held packed', () => {
  /** A pod-like value of about 1 KB whose versions differ in a few fields, as status updates do. */
  const value = (key: string, n: number): string =>
    JSON.stringify({
      metadata: {
        name: key,
        labels: { app: 'web', tier: 'front' },
        managedFields: [{ manager: 'kubelet', time: `2026-01-01T00:00:${String(n).padStart(2, '0')}Z` }],
      },
      spec: {
        containers: [
          {
            name: 'c',
            image: 'nginx:1.27',
            args: ['-g', 'daemon off;'],
            env: Array.from({ length: 12 }, (_, i) => ({ name: `VAR_${i}`, value: 'x'.repeat(20) })),
          },
        ],
      },
      status: { phase: n % 3 === 0 ? 'Running' : 'Pending', restarts: n, note: n % 5 === 0 ? 'événement ☕' : '' },
    })
  const nextTurn = (): Promise<void> => new Promise((r) => setImmediate(r))

  it('reads in the past, watch replays and snapshots see every version exactly', async () => {
    const dir = await tempDir()
    const s = await durable(dir)
    const written = new Map<number, { key: string; value: string }>()
    const start = s.revision()
    // Two keys written in turns, 30 times each (more than one whole version in a row is kept for), one deleted at the end.
    for (let n = 0; n < 30; n++) {
      for (const key of ['/p/a', '/p/b']) {
        const v = value(key, n)
        const r = await put(s, key, v)
        written.set(r.revision, { key, value: v })
      }
      await nextTurn()
    }
    const deletedAt = (await del(s, '/p/b')).revision
    await nextTurn()
    expect(s.stats().packedVersions).toBeGreaterThan(40)

    for (const [rev, w] of written) {
      const past = await s.range('/p/', { revision: rev })
      expect(past.kvs.find((kv) => kv.key === w.key)?.value).toBe(w.value)
    }
    const replay = collect(s, '/p/', start, written.size + 1)
    await replay.done
    replay.cancel()
    const events = replay.batches.flatMap((b) => b.events)
    let previous = new Map<string, string>()
    for (const e of events) {
      if (e.type === 'delete') {
        expect(e.kv.modRevision).toBe(deletedAt)
        expect(e.prevKv?.value).toBe(previous.get('/p/b'))
        continue
      }
      expect(e.kv.value).toBe(written.get(e.kv.modRevision)?.value)
      expect(e.prevKv?.value).toBe(previous.get(e.kv.key))
      previous = new Map(previous).set(e.kv.key, e.kv.value)
    }
    expect(events).toHaveLength(written.size + 1)

    // A snapshot holds the versions whole: after a restart the same history reads the same.
    await s.snapshot()
    await s.close()
    open.splice(open.indexOf(s), 1)
    const again = await durable(dir)
    for (const [rev, w] of written) {
      const past = await again.range('/p/', { revision: rev })
      expect(past.kvs.find((kv) => kv.key === w.key)?.value).toBe(w.value)
    }
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
    expect(await again.get('/d/0')).toMatchObject({ value: 'changed', version: 2 })
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
