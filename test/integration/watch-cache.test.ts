// The API server's watch cache (cache/watch-cache.ts) through HTTPS: gets, lists and watches
// answered from shared encodings stay exactly what the store holds — right after a write, with
// selectors, across pages read at the first page's revision, under tiny bounds that force
// evictions, and as the Table and metadata-only forms.
import { request } from 'node:https'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createMemoryStore } from '../../src-cluster/store'
import { startTestApiServer, type TestApiServer } from '../helpers/apiserver'

let t: TestApiServer

beforeAll(async () => {
  // Bounds far below what the test writes: every list evicts and re-encodes.
  t = await startTestApiServer({ storage: createMemoryStore({ historyLimit: 50 }), watchCache: { maxObjects: 5, maxBytes: 64 * 1024 } })
})
afterAll(async () => {
  await t?.close()
})

type Obj = { metadata: { name: string; resourceVersion: string; labels?: Record<string, string>; continue?: string }; data?: Record<string, string> }
type List = { kind: string; metadata: { resourceVersion: string; continue?: string }; items: Obj[] }

function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ code: number; text: string }> {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : JSON.stringify(body)
    const req = request(
      t.server.url + path,
      {
        method,
        ca: t.server.pki.ca.certPem,
        cert: t.server.admin.certPem,
        key: t.server.admin.keyPem,
        headers: { ...(data ? { 'Content-Type': method === 'PATCH' ? 'application/merge-patch+json' : 'application/json' } : {}), ...headers },
      },
      (res) => {
        let text = ''
        res.on('data', (d: Buffer) => (text += d.toString()))
        res.on('end', () => resolve({ code: res.statusCode ?? 0, text }))
      },
    )
    req.on('error', reject)
    req.end(data)
  })
}

async function json<T>(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<T> {
  const r = await call(method, path, body, headers)
  if (r.code >= 300) throw new Error(`${method} ${path}: ${r.code} ${r.text}`)
  return JSON.parse(r.text) as T
}

const CM = '/api/v1/namespaces/cache/configmaps'

describe('watch cache', () => {
  beforeAll(async () => {
    await json('POST', '/api/v1/namespaces', { metadata: { name: 'cache' } })
    for (let i = 0; i < 12; i++)
      await json('POST', CM, { metadata: { name: `cm-${String(i).padStart(2, '0')}`, labels: { parity: i % 2 ? 'odd' : 'even' } }, data: { i: String(i) } })
  })

  it('answers every list and get with what was just written', async () => {
    for (let round = 0; round < 3; round++) {
      const updated = await json<Obj>('PATCH', `${CM}/cm-03`, { data: { i: `r${round}` } })
      const got = await json<Obj>('GET', `${CM}/cm-03`)
      expect(got.data).toEqual({ i: `r${round}` })
      expect(got.metadata.resourceVersion).toBe(updated.metadata.resourceVersion)
      const list = await json<List>('GET', CM)
      expect(list.kind).toBe('ConfigMapList')
      expect(list.items.map((o) => o.metadata.name)).toEqual(Array.from({ length: 12 }, (_, i) => `cm-${String(i).padStart(2, '0')}`))
      expect(list.items[3]).toEqual(got)
      expect(Number(list.metadata.resourceVersion)).toBeGreaterThanOrEqual(Number(updated.metadata.resourceVersion))
    }
    await json('DELETE', `${CM}/cm-11`)
    expect((await call('GET', `${CM}/cm-11`)).code).toBe(404)
    expect((await json<List>('GET', `${CM}?resourceVersion=0`)).items.map((o) => o.metadata.name)).not.toContain('cm-11')
    await json('POST', CM, { metadata: { name: 'cm-11', labels: { parity: 'odd' } }, data: { i: '11' } })
    const held = t.server.context.cache.stats()
    expect(held.objects).toBeLessThanOrEqual(5)
    expect(held.bytes).toBeLessThanOrEqual(64 * 1024)
  })

  it('answers a write with the text a get of the version it stored returns, whatever order the body had', async () => {
    /** The object read back once the cache has let go of its encoding (a list of 12 evicts it: bound 5). */
    const readBack = async (name: string): Promise<string> => {
      await json('GET', CM)
      const r = await call('GET', `${CM}/${name}`)
      expect(r.code).toBe(200)
      return r.text
    }
    const created = await call('POST', CM, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'a-written', labels: { x: 'y1' }, annotations: { note: 'ü' } },
      data: { k: 'é\u2028"' },
    })
    expect(created.code).toBe(201)
    expect(await readBack('a-written')).toBe(created.text)
    const rv = (JSON.parse(created.text) as Obj).metadata.resourceVersion
    const put = await call('PUT', `${CM}/a-written`, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'a-written', resourceVersion: rv, labels: { x: 'y' } },
      data: { k: '✓' },
    })
    expect(put.code).toBe(200)
    expect((JSON.parse(put.text) as Obj).data).toEqual({ k: '✓' })
    expect(await readBack('a-written')).toBe(put.text)
    // Type metadata last: stored in that order, served with apiVersion and kind first.
    const reordered = await call('PUT', `${CM}/a-written`, { metadata: { name: 'a-written' }, data: { k: 'z' }, kind: 'ConfigMap', apiVersion: 'v1' })
    expect(reordered.code).toBe(200)
    expect(reordered.text.startsWith('{"apiVersion":"v1","kind":"ConfigMap","metadata":')).toBe(true)
    expect(await readBack('a-written')).toBe(reordered.text)
    const patched = await call('PATCH', `${CM}/a-written`, { data: { k: 'p' } })
    expect(patched.code).toBe(200)
    expect(await readBack('a-written')).toBe(patched.text)
    expect((await call('DELETE', `${CM}/a-written`)).code).toBe(200)
  })

  it('a list of a collection unchanged since the last one carries the latest resourceVersion; a change shows in every list over it', async () => {
    const first = await json<List>('GET', CM)
    const all = await json<List>('GET', '/api/v1/configmaps')
    const elsewhere = await json<Obj>('POST', '/api/v1/namespaces/default/configmaps', { metadata: { name: 'elsewhere' } })
    const again = await json<List>('GET', CM)
    expect(again.items).toEqual(first.items)
    expect(Number(again.metadata.resourceVersion)).toBeGreaterThanOrEqual(Number(elsewhere.metadata.resourceVersion))
    const allAgain = await json<List>('GET', '/api/v1/configmaps')
    expect(allAgain.items.length).toBe(all.items.length + 1)
    expect(allAgain.items.map((o) => o.metadata.name)).toContain('elsewhere')
    const changed = await json<Obj>('PATCH', `${CM}/cm-05`, { data: { i: 'changed' } })
    expect((await json<List>('GET', CM)).items[5]).toEqual(changed)
    expect((await json<List>('GET', '/api/v1/configmaps')).items.find((o) => o.metadata.name === 'cm-05')).toEqual(changed)
    await json('DELETE', '/api/v1/namespaces/default/configmaps/elsewhere')
    expect((await json<List>('GET', '/api/v1/configmaps')).items.map((o) => o.metadata.name)).not.toContain('elsewhere')
  })

  it('filters by label and field selectors, also after a label changes', async () => {
    const odd = await json<List>('GET', `${CM}?labelSelector=parity%3Dodd`)
    expect(odd.items.map((o) => o.metadata.name)).toEqual(['cm-01', 'cm-03', 'cm-05', 'cm-07', 'cm-09', 'cm-11'])
    await json('PATCH', `${CM}/cm-01`, { metadata: { labels: { parity: 'even' } } })
    const odd2 = await json<List>('GET', `${CM}?labelSelector=parity%3Dodd`)
    expect(odd2.items.map((o) => o.metadata.name)).toEqual(['cm-03', 'cm-05', 'cm-07', 'cm-09', 'cm-11'])
    const one = await json<List>('GET', `${CM}?fieldSelector=metadata.name%3Dcm-07`)
    expect(one.items.map((o) => o.metadata.name)).toEqual(['cm-07'])
    await json('PATCH', `${CM}/cm-01`, { metadata: { labels: { parity: 'odd' } } })
  })

  it('pages: the continuation reads the first page revision, whatever was written since', async () => {
    const first = await json<List>('GET', `${CM}?limit=5`)
    expect(first.items).toHaveLength(5)
    expect(first.metadata.continue).toBeTruthy()
    // A write after the first page: the next pages still show the list as of the first page.
    await json('PATCH', `${CM}/cm-08`, { data: { i: 'later' } })
    const names = first.items.map((o) => o.metadata.name)
    let cont = first.metadata.continue
    while (cont) {
      const page = await json<List>('GET', `${CM}?limit=5&continue=${encodeURIComponent(cont)}`)
      expect(page.metadata.resourceVersion).toBe(first.metadata.resourceVersion)
      for (const o of page.items) {
        names.push(o.metadata.name)
        if (o.metadata.name === 'cm-08') expect(o.data).not.toEqual({ i: 'later' })
      }
      cont = page.metadata.continue
    }
    expect(names).toHaveLength(12)
    expect(new Set(names).size).toBe(12)
    // With a selector the limit counts matching objects.
    const odd = await json<List>('GET', `${CM}?labelSelector=parity%3Dodd&limit=2`)
    expect(odd.items.map((o) => o.metadata.name)).toEqual(['cm-01', 'cm-03'])
  })

  it('a continuation older than the kept history is 410, as before the cache', async () => {
    const first = await json<List>('GET', `${CM}?limit=2`)
    for (let i = 0; i < 60; i++) await json('PATCH', `${CM}/cm-00`, { data: { i: `churn-${i}` } })
    const r = await call('GET', `${CM}?limit=2&continue=${encodeURIComponent(first.metadata.continue!)}`)
    expect(r.code).toBe(410)
    expect(JSON.parse(r.text).reason).toBe('Expired')
  })

  it('serves the Table and metadata-only forms from the same objects', async () => {
    const table = await json<{ kind: string; rows: { cells: unknown[] }[] }>('GET', CM, undefined, { Accept: 'application/json;as=Table;v=v1;g=meta.k8s.io' })
    expect(table.kind).toBe('Table')
    expect(table.rows.map((row) => row.cells[0])).toContain('cm-05')
    const meta = await json<{ kind: string; items: { kind: string; metadata: { name: string } }[] }>('GET', CM, undefined, {
      Accept: 'application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io',
    })
    expect(meta.kind).toBe('PartialObjectMetadataList')
    expect(meta.items).toHaveLength(12)
    expect(meta.items[0]).not.toHaveProperty('data')
    const yaml = await call('GET', `${CM}/cm-05`, undefined, { Accept: 'application/yaml' })
    expect(yaml.text).toContain('name: cm-05')
  })

  it('watchers of one collection each get every event, selected per watcher', async () => {
    const rv = (await json<List>('GET', CM)).metadata.resourceVersion
    const watch = (q: string, n: number): Promise<{ type: string; object: Obj }[]> =>
      new Promise((resolve, reject) => {
        const events: { type: string; object: Obj }[] = []
        const req = request(
          `${t.server.url}${CM}?watch=true&resourceVersion=${rv}${q}`,
          { ca: t.server.pki.ca.certPem, cert: t.server.admin.certPem, key: t.server.admin.keyPem },
          (res) => {
            let buf = ''
            res.on('data', (d: Buffer) => {
              buf += d.toString()
              let i: number
              while ((i = buf.indexOf('\n')) >= 0) {
                events.push(JSON.parse(buf.slice(0, i)))
                buf = buf.slice(i + 1)
                if (events.length === n) {
                  req.destroy()
                  resolve(events)
                }
              }
            })
          },
        )
        req.on('error', (e) => (events.length === n ? undefined : reject(e)))
        req.end()
      })
    const all = [watch('', 3), watch('', 3)]
    const odd = watch('&labelSelector=parity%3Dodd', 2)
    await json('PATCH', `${CM}/cm-05`, { data: { i: 'w' } }) // odd: MODIFIED for both kinds of watchers
    await json('PATCH', `${CM}/cm-05`, { metadata: { labels: { parity: 'even' } } }) // leaves the odd watcher's selection: DELETED there
    await json('DELETE', `${CM}/cm-06`) // even: only the unfiltered watchers see it
    for (const events of await Promise.all(all)) {
      expect(events.map((e) => `${e.type} ${e.object.metadata.name}`)).toEqual(['MODIFIED cm-05', 'MODIFIED cm-05', 'DELETED cm-06'])
    }
    const oddEvents = await odd
    expect(oddEvents.map((e) => `${e.type} ${e.object.metadata.name}`)).toEqual(['MODIFIED cm-05', 'DELETED cm-05'])
    const all0 = await all[0]
    expect(all0[0].object.data).toEqual({ i: 'w' })
    expect(Number(all0[2].object.metadata.resourceVersion)).toBeGreaterThan(Number(all0[1].object.metadata.resourceVersion))
  })
})
