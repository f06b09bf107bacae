// History bounds of the embedded store: one writer updating one large object over and over must
// not grow memory, log segments or snapshots without end, and the store must always restart.
// (Issue 17: 2 200 acknowledged 1 MB updates grew the server to 2.3 GiB and wrote a 2.2 GB
// snapshot that every start refused.) Scaled down by the bounds passed in, same mechanism.
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { writeFileSync } from 'node:fs'
import { afterAll, describe, expect, it } from 'vitest'
import { startTestApiServer } from '../helpers/apiserver'
import { fileFrames } from '../../src-cluster/store/codec'
import { createMemoryStore, openStore } from '../../src-cluster/store'
import { StoreError } from '../../src-cluster/store/types'
import { createClient, resourceRef, type Client } from '../../src-cluster/client'

const dirs: string[] = []
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})

const MiB = 1024 * 1024
const big = (i: number): string => JSON.stringify({ i, data: String(i % 10).repeat(MiB) })

function watchError(store: Awaited<ReturnType<typeof openStore>>, after: number): Promise<StoreError | undefined> {
  return new Promise((resolve) => {
    const w = store.watch(
      '/k',
      { afterRevision: after },
      () => undefined,
      (e) => resolve(e),
    )
    setTimeout(() => {
      w.cancel()
      resolve(undefined)
    }, 200)
  })
}

describe('store history bounds', () => {
  it('keeps history, log segments and snapshots bounded under repeated 1 MB updates, and restarts', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'kubelab-hist-'))
    dirs.push(dataDir)
    const opts = { dataDir, historyBytes: 4 * MiB, snapshotEveryBytes: 8 * MiB, onWarning: () => undefined }
    let store = await openStore(opts)
    const first = (await store.txn([], [{ type: 'put', key: '/k', value: big(0) }])).revision
    let segmentMax = 0
    for (let i = 1; i <= 60; i++) {
      await store.txn([], [{ type: 'put', key: '/k', value: big(i) }])
      for (const f of readdirSync(dataDir)) if (f.endsWith('.wal')) segmentMax = Math.max(segmentMax, statSync(join(dataDir, f)).size)
      const s = store.stats()
      // The newest revision plus what fits the byte bound.
      expect(s.historyBytes).toBeLessThanOrEqual(4 * MiB + 1.1 * MiB)
    }
    const stats = store.stats()
    expect(stats.historyEvents).toBeLessThanOrEqual(5)
    expect(stats.compactRevision).toBeGreaterThan(first)
    // A watch from before the kept history is told to re-list, as upstream's 410.
    expect((await watchError(store, first))?.code).toBe('compacted')
    // Segments are cut by bytes: none holds the whole run (~60 MB).
    expect(segmentMax).toBeLessThan(8 * MiB + 2 * MiB)
    const revision = store.revision()
    await store.close()
    const snaps = readdirSync(dataDir).filter((f) => f.endsWith('.snap'))
    expect(snaps.length).toBeGreaterThan(0)
    for (const f of snaps) expect(statSync(join(dataDir, f)).size).toBeLessThan(6 * MiB)
    // It starts again with the latest value and revision.
    store = await openStore(opts)
    expect(store.revision()).toBe(revision)
    expect(JSON.parse((await store.get('/k'))!.value).i).toBe(60)
    await store.close()
  }, 120_000)

  it('compacts revisions older than the age bound on the next write, keeping the newest', async () => {
    const store = createMemoryStore({ historyMaxAgeMs: 100 })
    const r1 = (await store.txn([], [{ type: 'put', key: '/a', value: '1' }])).revision
    const r2 = (await store.txn([], [{ type: 'put', key: '/a', value: '2' }])).revision
    expect(store.compactedRevision()).toBeLessThan(r1)
    await new Promise((r) => setTimeout(r, 250))
    const r3 = (await store.txn([], [{ type: 'put', key: '/a', value: '3' }])).revision
    expect(store.compactedRevision()).toBe(r2)
    expect(r3).toBeGreaterThan(r2)
    await expect(store.range('/a', { revision: r1 })).rejects.toMatchObject({ code: 'compacted' })
    expect((await store.range('/a', { revision: r3 })).kvs[0]?.value).toBe('3')
    await store.close()
  })

  it("bookmarks carry the store's progress, so a quiet watch resumes inside a short window and an old position gets 410", async () => {
    const t = await startTestApiServer({ storage: createMemoryStore({ historyMaxAgeMs: 300 }) })
    const s = t.server
    const c = createClient({ server: s.url, caPem: s.pki.ca.certPem, certPem: s.admin.certPem, keyPem: s.admin.keyPem })
    const CM = resourceRef('v1', 'configmaps')
    /** One watch of the quiet namespace from `rv` until the server ends it: its event types and last bookmark. */
    const watchQuiet = async (client: Client, rv: string, during?: () => Promise<void>): Promise<{ types: string[]; bookmark?: string; code?: unknown }> => {
      const out: { types: string[]; bookmark?: string; code?: unknown } = { types: [] }
      const h = client.watch(CM, { namespace: 'quiet', resourceVersion: rv, allowWatchBookmarks: true, timeoutSeconds: 1 }, (ev) => {
        out.types.push(ev.type)
        if (ev.type === 'BOOKMARK') out.bookmark = ev.object.metadata?.resourceVersion
        if (ev.type === 'ERROR') out.code = (ev.object as { code?: unknown }).code
      })
      await during?.()
      await h.done
      return out
    }
    try {
      await t.k('create', 'namespace', 'quiet')
      const start = (await c.list(CM, { namespace: 'quiet' })).resourceVersion
      // Writes elsewhere while the quiet watch runs: it gets no events, but its closing bookmark
      // is at least as new as the last of them.
      let last = 0
      const seen = await watchQuiet(c, start, async () => {
        for (let i = 0; i < 5; i++) {
          const cm = await c.create(CM, 'default', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `busy-${i}` } })
          last = Number(cm.metadata?.resourceVersion)
        }
      })
      expect(seen.types).toEqual(['BOOKMARK'])
      expect(Number(seen.bookmark)).toBeGreaterThanOrEqual(last)
      // Past the window, the next write compacts everything but itself.
      await new Promise((r) => setTimeout(r, 400))
      await c.create(CM, 'default', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'later' } })
      expect((await watchQuiet(c, start)).code).toBe(410)
      expect((await watchQuiet(c, seen.bookmark!)).types).toEqual(['BOOKMARK'])
    } finally {
      c.close()
      await t.close()
    }
  })

  it('reads frames a chunk at a time, whatever the chunk size (files beyond one Buffer stay readable)', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'kubelab-frames-'))
    dirs.push(dataDir)
    const store = await openStore({ dataDir, onWarning: () => undefined })
    for (let i = 0; i < 20; i++) await store.txn([], [{ type: 'put', key: `/f/${i}`, value: 'x'.repeat(i * 997) }])
    await store.close()
    const file = join(
      dataDir,
      readdirSync(dataDir).find((f) => f.endsWith('.snap'))!,
    )
    const collect = async (chunk?: number): Promise<string[]> => {
      const out: string[] = []
      for await (const f of fileFrames(file, chunk)) out.push(f.ok ? `${f.offset}:${f.payload.toString('base64')}` : `bad:${f.reason}`)
      return out
    }
    const whole = await collect()
    expect(whole.length).toBe(22) // header, 20 keys, footer
    expect(await collect(7)).toEqual(whole)
    expect(await collect(4096)).toEqual(whole)
  })

  it('refuses writes beyond the size quota without crashing, keeps deletes, and raises the alarm once', async () => {
    const warnings: string[] = []
    const dataDir = mkdtempSync(join(tmpdir(), 'kubelab-quota-'))
    dirs.push(dataDir)
    const store = await openStore({ dataDir, quotaBytes: 3 * MiB, onWarning: (w) => warnings.push(w) })
    await store.txn([], [{ type: 'put', key: '/q/a', value: big(1) }])
    await store.txn([], [{ type: 'put', key: '/q/b', value: big(2) }])
    await expect(store.txn([], [{ type: 'put', key: '/q/c', value: big(3) }])).rejects.toMatchObject({
      code: 'no-space',
      message: expect.stringContaining('mvcc: database space exceeded'),
    })
    await expect(store.txn([], [{ type: 'put', key: '/q/d', value: big(4) }])).rejects.toMatchObject({ code: 'no-space' })
    expect(warnings.filter((w) => w.includes('ALARM NOSPACE'))).toHaveLength(1)
    // Deletes free space; the store was never stopped.
    await store.txn([], [{ type: 'delete', key: '/q/a' }])
    await store.compact(store.revision())
    await store.txn([], [{ type: 'put', key: '/q/c', value: big(3) }])
    expect(JSON.parse((await store.get('/q/c'))!.value).i).toBe(3)
    await store.close()
  })

  it('through the API server: kubectl is told the store is full, deletes work, the server stays up', async () => {
    const t = await startTestApiServer({ storage: createMemoryStore({ quotaBytes: 4 * MiB }) })
    try {
      const file = join(t.dir, 'blob')
      writeFileSync(file, 'x'.repeat(900 * 1024))
      let refused = ''
      for (let i = 0; i < 8 && !refused; i++) {
        const r = await t.kubectl(['create', 'configmap', `blob-${i}`, `--from-file=${file}`])
        if (r.code !== 0) refused = r.stderr
      }
      expect(refused).toContain('mvcc: database space exceeded: the store holds')
      expect((await t.kubectl(['get', '--raw', '/readyz'])).stdout).toBe('ok')
      await t.k('delete', 'configmap', 'blob-0', 'blob-1')
      await t.server.store.compact(t.server.store.revision())
      expect((await t.kubectl(['create', 'configmap', 'after', `--from-file=${file}`])).code).toBe(0)
    } finally {
      await t.close()
    }
  }, 120_000)
})
