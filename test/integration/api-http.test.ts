// The API server at the HTTP level, for behaviour kubectl does not show directly: watch
// history expiry (410 as an ERROR event), bookmarks, selector transitions in a watch, and
// clear 400s for malformed bodies that leave stored objects untouched.
import { request } from 'node:https'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createMemoryStore } from '../../src-cluster/store'
import { startTestApiServer, type TestApiServer } from '../helpers/apiserver'

let t: TestApiServer

beforeAll(async () => {
  t = await startTestApiServer({ storage: createMemoryStore({ historyLimit: 20 }) })
})
afterAll(async () => {
  await t?.close()
})

function call(method: string, path: string, body?: string, contentType = 'application/json'): Promise<{ code: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      t.server.url + path,
      { method, ca: t.server.pki.ca.certPem, cert: t.server.admin.certPem, key: t.server.admin.keyPem, headers: body ? { 'Content-Type': contentType } : {} },
      (res) => {
        let text = ''
        res.on('data', (d: Buffer) => (text += d.toString()))
        res.on('end', () => resolve({ code: res.statusCode ?? 0, text }))
      },
    )
    req.on('error', reject)
    req.end(body)
  })
}

/** A watch's events until the server ends the stream (or `max` events arrive). */
function watch(path: string, onOpen?: () => Promise<void>, max = Infinity): Promise<{ type: string; object: Record<string, unknown> }[]> {
  return new Promise((resolve, reject) => {
    const events: { type: string; object: Record<string, unknown> }[] = []
    const req = request(t.server.url + path, { ca: t.server.pki.ca.certPem, cert: t.server.admin.certPem, key: t.server.admin.keyPem }, (res) => {
      let buf = ''
      res.on('data', (d: Buffer) => {
        buf += d.toString()
        let i: number
        while ((i = buf.indexOf('\n')) >= 0) {
          events.push(JSON.parse(buf.slice(0, i)))
          buf = buf.slice(i + 1)
          if (events.length >= max) {
            req.destroy()
            resolve(events)
          }
        }
      })
      res.on('end', () => resolve(events))
      void onOpen?.()
    })
    req.on('error', (e) => (events.length >= max ? undefined : reject(e)))
    req.end()
  })
}

const CM = '/api/v1/namespaces/default/configmaps'

describe('watch', () => {
  it('answers a revision older than the kept history with one 410 ERROR event and closes', async () => {
    for (let i = 0; i < 40; i++) expect((await call('POST', CM, JSON.stringify({ metadata: { name: `h${i}` } }))).code).toBe(201)
    const events = await watch(`${CM}?watch=true&resourceVersion=2`)
    expect(events).toHaveLength(1)
    expect(events[0]!.type).toBe('ERROR')
    expect(events[0]!.object).toMatchObject({ kind: 'Status', code: 410, reason: 'Expired' })
  })

  it('sends a bookmark before the timeout when asked', async () => {
    const list = JSON.parse((await call('GET', `${CM}?limit=1`)).text)
    const events = await watch(`${CM}?watch=true&allowWatchBookmarks=true&timeoutSeconds=1&resourceVersion=${list.metadata.resourceVersion}`)
    expect(events.at(-1)!.type).toBe('BOOKMARK')
    expect(Number((events.at(-1)!.object.metadata as { resourceVersion: string }).resourceVersion)).toBeGreaterThanOrEqual(
      Number(list.metadata.resourceVersion),
    )
  })

  it('turns an object that starts or stops matching the selector into ADDED and DELETED', async () => {
    await call('POST', CM, JSON.stringify({ metadata: { name: 'sel', labels: { team: 'a' } } }))
    const list = JSON.parse((await call('GET', `${CM}?labelSelector=team%3Db`)).text)
    const events = await watch(
      `${CM}?watch=true&labelSelector=team%3Db&resourceVersion=${list.metadata.resourceVersion}`,
      async () => {
        await call('PATCH', `${CM}/sel`, JSON.stringify({ metadata: { labels: { team: 'b' } } }), 'application/merge-patch+json')
        await call('PATCH', `${CM}/sel`, JSON.stringify({ metadata: { labels: { team: 'c' } } }), 'application/merge-patch+json')
      },
      2,
    )
    expect(events.map((e) => e.type)).toEqual(['ADDED', 'DELETED'])
  })
})

describe('bad input', () => {
  it('answers malformed JSON with a 400 that says what is wrong, and keeps the stored object', async () => {
    const before = JSON.parse((await call('GET', `${CM}/sel`)).text)
    const r = await call('PUT', `${CM}/sel`, '{"metadata": {"name": "sel"')
    expect(r.code).toBe(400)
    // Upstream's decoder words, with the start of the body.
    expect(JSON.parse(r.text).message).toBe(
      `the object provided is unrecognized (must be of type ConfigMap): couldn't get version/kind; json parse error: unexpected end of JSON input ({"metadata": {"name": "sel")`,
    )
    const y = await call('POST', CM, 'metadata: [unclosed', 'application/yaml')
    expect(y.code).toBe(400)
    expect(JSON.parse(y.text).message).toMatch(/not valid YAML/)
    const after = JSON.parse((await call('GET', `${CM}/sel`)).text)
    expect(after.metadata.resourceVersion).toBe(before.metadata.resourceVersion)
  })

  it('rejects a body of the wrong kind and an unsupported media type', async () => {
    const r = await call('POST', CM, JSON.stringify({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'x' } }))
    expect(r.code).toBe(400)
    expect(JSON.parse(r.text).message).toBe(
      'Secret in version "v1" cannot be handled as a ConfigMap: converting (v1.Secret) to (core.ConfigMap): unknown conversion',
    )
    const m = await call('POST', CM, 'x', 'text/csv')
    expect(m.code).toBe(415)
  })

  it('answers type errors with a 400 naming the field', async () => {
    const r = await call('POST', '/apis/apps/v1/namespaces/default/deployments', JSON.stringify({ metadata: { name: 'd' }, spec: { replicas: 'three' } }))
    expect(r.code).toBe(400)
    expect(JSON.parse(r.text).message).toContain('spec.replicas')
  })
})

describe('secrets', () => {
  it('folds stringData into data and never stores stringData', async () => {
    const r = await call(
      'POST',
      '/api/v1/namespaces/default/secrets',
      JSON.stringify({ metadata: { name: 'sd' }, data: { a: Buffer.from('one').toString('base64') }, stringData: { b: 'two' } }),
    )
    expect(r.code).toBe(201)
    const s = JSON.parse((await call('GET', '/api/v1/namespaces/default/secrets/sd')).text)
    expect(s.stringData).toBeUndefined()
    expect(Buffer.from(s.data.a, 'base64').toString()).toBe('one')
    expect(Buffer.from(s.data.b, 'base64').toString()).toBe('two')
    expect(s.type).toBe('Opaque')
  })
})
