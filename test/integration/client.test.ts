// The API client, informer and event recorder against a real in-process API server: CRUD,
// errors, watch streams, an informer through compaction and a server restart, and Event
// aggregation.
import { readFileSync } from 'node:fs'
import { request as httpRequest, type ClientRequest, type IncomingMessage, type RequestOptions } from 'node:http'
import { request as httpsRequest } from 'node:https'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ConfigMap } from 'kubernetes-types/core/v1'
import { startApiServer, type ApiServer } from '../../src-cluster/apiserver/server'
import {
  ApiClientError,
  createClient,
  EventRecorder,
  Informer,
  InformerFactory,
  loadKubeconfig,
  resourceRef,
  type ClosableClient,
  type WatchEventOf,
} from '../../src-cluster/client'
import type { KubeObject } from '../../src-cluster/api/object'
import { createMemoryStore, type EmbeddedStore } from '../../src-cluster/store'
import { FakeClock } from '../../src-cluster/util/clock'
import { startTestApiServer, type TestApiServer } from '../helpers/apiserver'
import { freePort } from '../../src-cluster/util/net'
import { createCA, issueClientCert } from '../../src-cluster/kit/pki'
import { WATCH_OBJECT_MARK, WATCH_OBJECTS_HEADER } from '../../src-cluster/client/in-process'
import { until as poll } from '../helpers/wait'

const CM = resourceRef('v1', 'configmaps')
const NS = resourceRef('v1', 'namespaces')
const EVENTS = resourceRef('v1', 'events')

const until = (what: string, cond: () => boolean | Promise<boolean>, ms = 20_000) => poll(what, cond, { timeoutMs: ms, intervalMs: 25 })

function clientFor(t: TestApiServer | ApiServer): ClosableClient {
  const s = 'server' in t ? t.server : t
  return createClient({ server: s.url, caPem: s.pki.ca.certPem, certPem: s.admin.certPem, keyPem: s.admin.keyPem, userAgent: 'client-test' })
}

// kubernetes-types interfaces have no index signature; `& KubeObject` makes them client objects.
type CMObj = ConfigMap & KubeObject
const cm = (name: string, data: Record<string, string> = {}, labels?: Record<string, string>): CMObj => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, labels },
  data,
})

describe('client against the API server', () => {
  let t: TestApiServer
  let c: ClosableClient
  beforeAll(async () => {
    t = await startTestApiServer()
    c = clientFor(t)
  })
  afterAll(async () => {
    c?.close()
    await t?.close()
  })

  it('creates, gets, lists, updates, patches and deletes', async () => {
    const made = await c.create<CMObj>(CM, 'default', cm('one', { a: '1' }, { app: 'x' }))
    expect(made.metadata?.uid).toBeTruthy()
    const got = await c.get<CMObj>(CM, 'default', 'one')
    expect(got?.data).toEqual({ a: '1' })

    await c.create(CM, 'default', cm('two', {}, { app: 'y' }))
    const listed = await c.list<CMObj>(CM, { namespace: 'default', labelSelector: 'app=x' })
    expect(listed.items.map((i) => i.metadata?.name)).toEqual(['one'])
    expect(listed.items[0]!.kind).toBe('ConfigMap')
    expect(Number(listed.resourceVersion)).toBeGreaterThan(0)

    const updated = await c.update<CMObj>(CM, { ...got!, data: { a: '2' } })
    expect(updated.data).toEqual({ a: '2' })
    const merged = await c.patch<CMObj>(CM, 'default', 'one', { data: { b: '3' } }, 'merge')
    expect(merged.data).toEqual({ a: '2', b: '3' })
    const jsonPatched = await c.patch<CMObj>(CM, 'default', 'one', [{ op: 'remove', path: '/data/a' }], 'json')
    expect(jsonPatched.data).toEqual({ b: '3' })

    expect(await c.delete(CM, 'default', 'one')).toBe(true)
    expect(await c.get(CM, 'default', 'one')).toBeUndefined()
    expect(await c.delete(CM, 'default', 'one')).toBe(false)
    // The real kubectl agrees.
    expect((await t.kubectl(['get', 'configmap', 'one'])).stderr).toContain('NotFound')
  })

  it('paginates lists with limit and continue', async () => {
    await c.create(NS, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'paged' } })
    for (let i = 0; i < 7; i++) await c.create(CM, 'paged', cm(`p${i}`))
    const names: string[] = []
    let cont: string | undefined
    let pages = 0
    do {
      const page = await c.list(CM, { namespace: 'paged', limit: 3, continue: cont })
      names.push(...page.items.map((i) => i.metadata!.name!).filter((n) => n.startsWith('p')))
      cont = page.continue
      pages++
    } while (cont)
    expect(pages).toBeGreaterThanOrEqual(3)
    expect(names.sort()).toEqual(['p0', 'p1', 'p2', 'p3', 'p4', 'p5', 'p6'])
  })

  it('answers errors as ApiClientError with code, reason and message', async () => {
    await c.create(CM, 'default', cm('conflict'))
    const stale = (await c.get<CMObj>(CM, 'default', 'conflict'))!
    await c.update(CM, { ...stale, data: { first: 'yes' } })
    const err = await c.update(CM, { ...stale, data: { second: 'yes' } }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ApiClientError)
    expect((err as ApiClientError).code).toBe(409)
    expect((err as ApiClientError).reason).toBe('Conflict')

    const dup = await c.create(CM, 'default', cm('conflict')).catch((e: unknown) => e)
    expect((dup as ApiClientError).code).toBe(409)
    expect((dup as ApiClientError).reason).toBe('AlreadyExists')

    const bad = await c.create(CM, 'default', cm('Not_Valid')).catch((e: unknown) => e)
    expect((bad as ApiClientError).code).toBe(422)
    expect((bad as ApiClientError).message).toContain('Not_Valid')
  })

  it('reports an unreachable server with code 0 and what to check', async () => {
    const port = await freePort()
    const dead = createClient({ server: `https://127.0.0.1:${port}`, caPem: t.server.pki.ca.certPem })
    const err = await dead.get(CM, 'default', 'x').catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ApiClientError)
    expect((err as ApiClientError).code).toBe(0)
    expect((err as ApiClientError).message).toBe(`cannot reach the API server at https://127.0.0.1:${port}: connection refused — is it running?`)
    dead.close()
  })

  it('authenticates with a bearer token from a kubeconfig', async () => {
    const cfg = loadKubeconfig(t.kubeconfig)
    expect(cfg.server).toBe(t.server.url)
    const k = createClient(cfg)
    const ns = await k.get(NS, undefined, 'default')
    expect(ns?.metadata?.name).toBe('default')
    k.close()
  })

  it('watches ADDED, MODIFIED and DELETED, and stops on request', async () => {
    await c.create(NS, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'watched' } })
    const start = await c.list(CM, { namespace: 'watched' })
    const events: WatchEventOf[] = []
    const w = c.watch(CM, { namespace: 'watched', resourceVersion: start.resourceVersion }, (ev) => events.push(ev))
    await c.create(CM, 'watched', cm('w', { v: '1' }))
    await c.patch(CM, 'watched', 'w', { data: { v: '2' } }, 'merge')
    await c.delete(CM, 'watched', 'w')
    const mine = () => events.filter((e) => e.object.metadata?.name === 'w')
    await until('three events', () => mine().length >= 3)
    expect(mine().map((e) => e.type)).toEqual(['ADDED', 'MODIFIED', 'DELETED'])
    expect((mine()[1]!.object as ConfigMap).data).toEqual({ v: '2' })
    w.stop()
    await w.done
  })

  it('a watch that the server rejects ends with the error', async () => {
    const w = c.watch(CM, { namespace: 'default', resourceVersion: 'abc' }, () => {})
    const err = await w.done.catch((e: unknown) => e)
    expect((err as ApiClientError).code).toBe(400)
  })

  it('records Events and aggregates a repeat into count 2', async () => {
    const clock = new FakeClock(new Date('2026-01-01T10:00:00Z'))
    const target = await c.create<CMObj>(CM, 'default', cm('evented'))
    const rec = new EventRecorder(c, 'test-controller', clock)
    rec.event(target, 'Normal', 'Synced', 'Synced the config map')
    clock.advance(5000)
    rec.event(target, 'Normal', 'Synced', 'Synced the config map')
    rec.event(target, 'Warning', 'Broken', 'Something else')
    await rec.flush()
    const evs = (await c.list(EVENTS, { namespace: 'default' })).items.filter((e) => (e.involvedObject as { name?: string }).name === 'evented')
    const synced = evs.find((e) => e.reason === 'Synced')!
    expect(evs).toHaveLength(2)
    expect(synced.count).toBe(2)
    expect(synced.firstTimestamp).toBe('2026-01-01T10:00:00Z')
    expect(synced.lastTimestamp).toBe('2026-01-01T10:00:05Z')
    expect(synced.source).toEqual({ component: 'test-controller' })
    expect(synced.involvedObject).toMatchObject({ kind: 'ConfigMap', name: 'evented', namespace: 'default', uid: target.metadata?.uid })
    // What a learner sees.
    const described = await t.k('describe', 'configmap', 'evented')
    expect(described).toMatch(/Normal\s+Synced\s+.*test-controller\s+Synced the config map/)
    expect(described).toMatch(/Warning\s+Broken/)
  })
})

describe('in-process transport', () => {
  let t: TestApiServer
  beforeAll(async () => {
    t = await startTestApiServer()
  })
  afterAll(async () => {
    await t?.close()
  })

  // Both in-process paths: the direct one (no HTTP/1.1) the control plane uses, and HTTP/1.1 over in-memory connections.
  const MODES = ['direct', 'http'] as const
  type Mode = (typeof MODES)[number]
  const inProcess = (certPem?: string, token?: string, mode: Mode = 'direct'): ClosableClient =>
    createClient({
      server: t.server.url,
      caPem: t.server.pki.ca.certPem,
      certPem,
      token,
      userAgent: 'in-process-test',
      ...(mode === 'direct' ? { dispatch: t.server.inProcessDispatch(certPem) } : { connect: t.server.inProcessConnect(certPem) }),
    })
  const whoami = async (k: ClosableClient): Promise<{ username?: string; groups?: string[] }> =>
    (
      await k.request<{ status: { userInfo: { username?: string; groups?: string[] } } }>('POST', '/apis/authentication.k8s.io/v1/selfsubjectreviews', {
        apiVersion: 'authentication.k8s.io/v1',
        kind: 'SelfSubjectReview',
      })
    ).status.userInfo

  it.each(MODES)('serves the same pipeline as HTTPS: CRUD, field manager, watch, errors (%s)', async (mode) => {
    const k = inProcess(t.server.admin.certPem, undefined, mode)
    try {
      expect(await whoami(k)).toMatchObject({ username: 'kubernetes-admin', groups: expect.arrayContaining(['system:masters', 'system:authenticated']) })
      const start = await k.list(CM, { namespace: 'default' })
      const storeWatchers = (): number => (t.server.store as EmbeddedStore).stats().watchers
      const before = storeWatchers()
      const events: WatchEventOf[] = []
      const w = k.watch(CM, { namespace: 'default', resourceVersion: start.resourceVersion }, (ev) => events.push(ev))
      const made = await k.create<CMObj>(CM, 'default', cm('local', { a: '1' }))
      expect(made.metadata?.managedFields?.[0]?.manager).toBe('in-process-test')
      await k.patch(CM, 'default', 'local', { data: { a: '2' } }, 'merge')
      expect(((await k.create(CM, 'default', cm('local')).catch((e: unknown) => e)) as ApiClientError).reason).toBe('AlreadyExists')
      await k.delete(CM, 'default', 'local')
      await until('three events', () => events.filter((e) => e.object.metadata?.name === 'local').length >= 3)
      expect(events.filter((e) => e.object.metadata?.name === 'local').map((e) => e.type)).toEqual(['ADDED', 'MODIFIED', 'DELETED'])
      w.stop()
      await w.done
      // Stopping the watch closes its in-memory connection, and the server lets go of its watch.
      await until('the server-side watch released', () => storeWatchers() === before)
      // The HTTPS side sees the same object history.
      expect((await t.kubectl(['get', 'configmap', 'local'])).stderr).toContain('NotFound')
    } finally {
      k.close()
    }
  })

  it.each(MODES)("hands an in-process informer the server's parsed objects, equal to what an HTTPS informer decodes (%s)", async (mode) => {
    const k = inProcess(t.server.admin.certPem, undefined, mode)
    const remote = clientFor(t)
    const opts = { namespace: 'default', labelSelector: `handed=${mode}`, stripManagedFields: true }
    const local = new Informer<CMObj>(k, CM, opts)
    const overTls = new Informer<CMObj>(remote, CM, opts)
    const seen = (inf: Informer<CMObj>): string[] => {
      const log: string[] = []
      inf.addHandler({
        add: (o) => log.push(`add ${o.metadata!.name} ${o.data?.v}`),
        update: (_o, n) => log.push(`update ${n.metadata!.name} ${n.data?.v}`),
        delete: (o) => log.push(`delete ${o.metadata!.name}`),
      })
      return log
    }
    const localLog = seen(local)
    const tlsLog = seen(overTls)
    try {
      await Promise.all([local.start(), overTls.start()])
      await k.create(CM, 'default', cm('handed', { v: '1' }, { handed: mode }))
      await k.patch(CM, 'default', 'handed', { data: { v: '2' } }, 'merge')
      // Leaving the selector is a delete for both.
      await k.patch(CM, 'default', 'handed', { metadata: { labels: { handed: 'no' } } }, 'merge')
      await until('both informers saw the object leave', () => localLog.includes('delete handed') && tlsLog.includes('delete handed'))
      expect(localLog).toEqual(['add handed 1', 'update handed 2', 'delete handed'])
      expect(tlsLog).toEqual(localLog)
      await k.create(CM, 'default', cm('handed-2', { v: '3' }, { handed: mode }))
      await until('both hold handed-2', () => !!local.get('default/handed-2') && !!overTls.get('default/handed-2'))
      expect(local.get('default/handed-2')).toEqual(overTls.get('default/handed-2'))
      expect(local.get('default/handed-2')?.metadata?.managedFields).toBeUndefined()
    } finally {
      local.stop()
      overTls.stop()
      for (const name of ['handed', 'handed-2']) await k.delete(CM, 'default', name)
      k.close()
      remote.close()
    }
  })

  /** What an answer shows a client: status, the headers the API sets, the body. */
  interface Answer {
    status: number
    headers: Record<string, string>
    body: string
  }
  const SHOWN_HEADERS = ['content-type', 'warning', 'cache-control', 'content-encoding', 'vary']
  const shown = (h: Record<string, string | string[] | number | undefined>): Record<string, string> => {
    const out: Record<string, string> = {}
    for (const k of SHOWN_HEADERS) {
      const v = h[k]
      // Node's HTTP client joins repeated headers with ", ".
      if (v !== undefined) out[k] = Array.isArray(v) ? v.join(', ') : String(v)
    }
    return out
  }
  type Raw = (method: string, path: string, headers?: Record<string, string>, body?: string) => Promise<Answer>
  const direct: Raw = (method, path, headers = {}, body) =>
    new Promise((resolve, reject) => {
      let status = 0
      let head: Answer['headers'] = {}
      const chunks: Buffer[] = []
      t.server.inProcessDispatch(t.server.admin.certPem)(
        { method, url: path, headers: body === undefined ? headers : { ...headers, 'Content-Length': String(Buffer.byteLength(body)) }, body },
        {
          head: (code, h) => {
            status = code
            head = shown(h)
          },
          data: (c) => chunks.push(typeof c === 'string' ? Buffer.from(c) : c),
          end: () => resolve({ status, headers: head, body: Buffer.concat(chunks).toString('utf8') }),
          error: reject,
        },
      )
    })
  const overHttps: Raw = (method, path, headers = {}, body) =>
    new Promise((resolve, reject) => {
      const req = httpsRequest(
        {
          host: '127.0.0.1',
          port: t.server.port,
          method,
          path,
          headers,
          ca: t.server.pki.ca.certPem,
          cert: t.server.admin.certPem,
          key: t.server.admin.keyPem,
        },
        (res) => {
          const chunks: Buffer[] = []
          res.on('data', (c: Buffer) => chunks.push(c))
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: shown(res.headers), body: Buffer.concat(chunks).toString('utf8') }))
          res.on('error', reject)
        },
      )
      req.on('error', reject)
      req.end(body)
    })
  /** An answer about one of two twin objects, with the twin's name and what differs between any two objects (uid, versions, times) blanked. */
  const twinless = (a: Answer, name: string): unknown => {
    const text = a.body.split(name).join('NAME')
    const blank = (v: unknown): unknown => {
      if (Array.isArray(v)) return v.map(blank)
      if (v === null || typeof v !== 'object') return v
      const out: Record<string, unknown> = {}
      for (const [k, x] of Object.entries(v)) out[k] = ['uid', 'resourceVersion', 'creationTimestamp', 'time'].includes(k) ? '…' : blank(x)
      return out
    }
    return {
      status: a.status,
      headers: a.headers,
      body:
        a.headers['content-type'] === 'application/json' ? blank(JSON.parse(text)) : text.replace(/(uid|resourceVersion|creationTimestamp|time): .*/g, '$1: …'),
    }
  }

  it('answers every request the direct path takes exactly as HTTPS does: reads, writes, patches, status, watch, errors, warnings', async () => {
    const cms = '/api/v1/namespaces/default/configmaps'
    const quotas = '/api/v1/namespaces/default/resourcequotas'
    const json = { 'Content-Type': 'application/json', Accept: 'application/json' }
    const start = JSON.parse((await overHttps('GET', `${cms}?labelSelector=same%3Dyes`, json)).body) as { metadata: { resourceVersion: string } }
    // Each request once per path, on twin objects (same-d by the direct path, same-h over HTTPS).
    const steps: [string, (n: string) => [string, string, Record<string, string>, string?]][] = [
      [
        'create with an unknown field (a Warning)',
        (n) => ['POST', `${cms}?fieldValidation=Warn`, json, JSON.stringify({ ...cm(n, { a: '1' }, { same: 'yes' }), bogus: 1 })],
      ],
      [
        'create from YAML',
        (n) => ['POST', cms, { 'Content-Type': 'application/yaml' }, `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${n}-yaml\ndata:\n  y: "1"\n`],
      ],
      ['get', (n) => ['GET', `${cms}/${n}`, json]],
      ['get as YAML', (n) => ['GET', `${cms}/${n}`, { Accept: 'application/yaml' }]],
      ['update', (n) => ['PUT', `${cms}/${n}`, json, JSON.stringify(cm(n, { a: '2' }, { same: 'yes' }))]],
      ['merge patch', (n) => ['PATCH', `${cms}/${n}`, { 'Content-Type': 'application/merge-patch+json' }, '{"data":{"b":"3"}}']],
      [
        'strategic merge patch',
        (n) => ['PATCH', `${cms}/${n}`, { 'Content-Type': 'application/strategic-merge-patch+json' }, '{"metadata":{"labels":{"s":"1"}}}'],
      ],
      ['JSON patch', (n) => ['PATCH', `${cms}/${n}`, { 'Content-Type': 'application/json-patch+json' }, '[{"op":"add","path":"/data/c","value":"4"}]']],
      [
        'server-side apply',
        (n) => [
          'PATCH',
          `${cms}/${n}?fieldManager=tester&force=true`,
          { 'Content-Type': 'application/apply-patch+yaml' },
          `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${n}\ndata:\n  d: "5"\n`,
        ],
      ],
      ['create again: 409', (n) => ['POST', cms, json, JSON.stringify(cm(n))]],
      ['a body that is not JSON: 400', () => ['POST', cms, json, '{"apiVersion":']],
      ['a patch type not served: 415', (n) => ['PATCH', `${cms}/${n}`, { 'Content-Type': 'text/plain' }, 'x']],
      ['a missing object: 404', (n) => ['GET', `${cms}/${n}-missing`, json]],
      ['impersonating a user without rights: 403', (n) => ['GET', `${cms}/${n}`, { ...json, 'Impersonate-User': 'nobody' }]],
      ['POST to a named object: 405', (n) => ['POST', `${cms}/${n}`, json, JSON.stringify(cm(n))]],
      [
        'a ResourceQuota',
        (n) => ['POST', quotas, json, JSON.stringify({ apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: n }, spec: { hard: { pods: '5' } } })],
      ],
      [
        'its status subresource, patched',
        (n) => ['PATCH', `${quotas}/${n}/status`, { 'Content-Type': 'application/merge-patch+json' }, '{"status":{"hard":{"pods":"5"},"used":{"pods":"1"}}}'],
      ],
      ['its status, read', (n) => ['GET', `${quotas}/${n}/status`, json]],
      ['delete', (n) => ['DELETE', `${cms}/${n}`, json]],
      ['delete the YAML one', (n) => ['DELETE', `${cms}/${n}-yaml`, json]],
      ['delete the quota', (n) => ['DELETE', `${quotas}/${n}`, json]],
    ]
    const codes: number[] = []
    for (const [what, step] of steps) {
      const [method, path, headers, body] = step('same-d')
      const d = await direct(method, path, headers, body)
      const [hm, hp, hh, hb] = step('same-h')
      const h = await overHttps(hm, hp, hh, hb)
      expect(twinless(d, 'same-d'), what).toEqual(twinless(h, 'same-h'))
      codes.push(d.status)
      if (codes.length === 1) expect(d.headers.warning).toContain('unknown field \\"bogus\\"')
    }
    // The steps did what they say (so the comparison covered each kind of answer).
    expect(codes).toEqual([201, 201, 200, 200, 200, 200, 200, 200, 200, 409, 400, 415, 404, 403, 405, 201, 200, 200, 200, 200, 200])
    // The same reads give the same bytes: a list, and the watch of everything since the start.
    const list = `${cms}?labelSelector=same%3Dyes`
    expect(await direct('GET', list, json)).toEqual(await overHttps('GET', list, json))
    const watch = `${cms}?watch=true&labelSelector=same%3Dyes&resourceVersion=${start.metadata.resourceVersion}&timeoutSeconds=1`
    const [dw, hw] = await Promise.all([direct('GET', watch, json), overHttps('GET', watch, json)])
    expect(dw).toEqual(hw)
    expect(
      dw.body
        .split('\n')
        .filter(Boolean)
        .map((l) => (JSON.parse(l) as WatchEventOf).type),
    ).toEqual([...['ADDED', 'ADDED'], ...Array<string>(10).fill('MODIFIED'), ...['DELETED', 'DELETED']])
  })

  // Over HTTPS as well as both in-process paths: the option changes what the client does with an answer, whatever carried it.
  it.each(['https', ...MODES] as const)('a write whose answer is not read resolves without it, and a refusal throws the Status as ever (%s)', async (mode) => {
    const k = mode === 'https' ? clientFor(t) : inProcess(t.server.admin.certPem, undefined, mode)
    const UNREAD = { readAnswer: false } as const
    const PODS = resourceRef('v1', 'pods')
    const name = `unread-${mode}`
    const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { containers: [{ name: 'c', image: 'busybox' }] } }
    const refusal = (p: Promise<unknown>): Promise<ApiClientError> =>
      p.then(
        () => expect.fail('the write was accepted'),
        (e: unknown) => e as ApiClientError,
      )
    try {
      // Accepted: resolves to nothing, and each write happened.
      expect(await k.create(CM, 'default', cm(name, { a: '1' }), UNREAD)).toBeUndefined()
      const made = (await k.get<CMObj>(CM, 'default', name))!
      expect(made.data).toEqual({ a: '1' })
      expect(await k.update(CM, { ...made, data: { a: '2' } }, UNREAD)).toBeUndefined()
      expect(await k.patch(CM, 'default', name, { data: { b: '3' } }, 'merge', UNREAD)).toBeUndefined()
      expect((await k.get<CMObj>(CM, 'default', name))?.data).toEqual({ a: '2', b: '3' })
      expect(await k.create(PODS, 'default', pod, UNREAD)).toBeUndefined()
      const binding = (node: string) => ({ apiVersion: 'v1', kind: 'Binding', metadata: { name }, target: { apiVersion: 'v1', kind: 'Node', name: node } })
      expect(await k.createSubresource(PODS, 'default', name, 'binding', binding('node-a'), UNREAD)).toBeUndefined()
      expect((await k.get<KubeObject & { spec?: { nodeName?: string } }>(PODS, 'default', name))?.spec?.nodeName).toBe('node-a')
      expect(
        await k.update(PODS, { ...(await k.get(PODS, 'default', name))!, status: { phase: 'Running' } }, { subresource: 'status', ...UNREAD }),
      ).toBeUndefined()
      expect((await k.get<KubeObject & { status?: { phase?: string } }>(PODS, 'default', name))?.status?.phase).toBe('Running')

      // Refused: the same ApiClientError (code, reason, the server's message) as the call that reads its answer.
      const same = async (unread: Promise<unknown>, read: Promise<unknown>, code: number, message: RegExp): Promise<void> => {
        const [u, r] = [await refusal(unread), await refusal(read)]
        expect(u).toBeInstanceOf(ApiClientError)
        expect(u.code).toBe(code)
        expect(u.message).toMatch(message)
        expect({ code: u.code, reason: u.reason, message: u.message }).toEqual({ code: r.code, reason: r.reason, message: r.message })
      }
      await same(
        k.patch(CM, 'default', `${name}-missing`, { data: {} }, 'merge', UNREAD),
        k.patch(CM, 'default', `${name}-missing`, { data: {} }, 'merge'),
        404,
        /not found/,
      )
      await same(k.create(CM, 'default', cm(name), UNREAD), k.create(CM, 'default', cm(name)), 409, /already exists/)
      await same(k.update(CM, made, UNREAD), k.update(CM, made), 409, /modified/)
      await same(k.create(CM, 'default', cm('Not_Valid'), UNREAD), k.create(CM, 'default', cm('Not_Valid')), 422, /Not_Valid/)
      await same(
        k.createSubresource(PODS, 'default', name, 'binding', binding('node-b'), UNREAD),
        k.createSubresource(PODS, 'default', name, 'binding', binding('node-b')),
        409,
        /already assigned/,
      )
      await same(
        k.createSubresource(PODS, 'default', `${name}-missing`, 'binding', binding('node-b'), UNREAD),
        k.createSubresource(PODS, 'default', `${name}-missing`, 'binding', binding('node-b')),
        404,
        /not found/,
      )
    } finally {
      await k.delete(CM, 'default', name).catch(() => undefined)
      await k.delete(PODS, 'default', name, { gracePeriodSeconds: 0 }).catch(() => undefined)
      k.close()
    }
  })

  it('writes marker lines with objects handed over only to an in-process watch that asks', async () => {
    const watchBody = async (request: (done: (lines: string[]) => void) => ClientRequest): Promise<string[]> =>
      new Promise((resolve, reject) => request(resolve).on('error', reject))
    const path = '/api/v1/namespaces/default/configmaps?watch=true&labelSelector=marker%3Dyes&timeoutSeconds=1'
    const collect = (done: (lines: string[]) => void) => (res: IncomingMessage) => {
      let text = ''
      res.setEncoding('utf8')
      res.on('data', (c: string) => (text += c))
      res.on('end', () => done(text.split('\n').filter(Boolean)))
    }
    const c = clientFor(t)
    try {
      await c.create(CM, 'default', cm('marked', {}, { marker: 'yes' }))
    } finally {
      c.close()
    }
    const headers = { [WATCH_OBJECTS_HEADER]: '1' }
    const local = watchBody((done) =>
      httpRequest({ path, headers, createConnection: t.server.inProcessConnect(t.server.admin.certPem) } as RequestOptions, collect(done)).end(),
    )
    // Over HTTPS the header changes nothing: the events are JSON.
    const remote = watchBody((done) =>
      httpsRequest(
        {
          host: '127.0.0.1',
          port: t.server.port,
          path,
          headers,
          ca: t.server.pki.ca.certPem,
          cert: t.server.admin.certPem,
          key: t.server.admin.keyPem,
        },
        collect(done),
      ).end(),
    )
    // The direct path: the same marker line, and the object handed over on its exchange.
    const handed = new Promise<{ lines: string[]; object: unknown }>((resolve, reject) => {
      let text = ''
      const x = t.server.inProcessDispatch(t.server.admin.certPem)(
        { method: 'GET', url: path, headers },
        {
          head: () => undefined,
          data: (c) => (text += String(c)),
          end: () => resolve({ lines: text.split('\n').filter(Boolean), object: x.takeObject() }),
          error: reject,
        },
      )
    })
    expect(await local).toEqual([`${WATCH_OBJECT_MARK}ADDED`])
    expect((await handed).lines).toEqual([`${WATCH_OBJECT_MARK}ADDED`])
    expect((await handed).object).toMatchObject({ kind: 'ConfigMap', metadata: { name: 'marked', labels: { marker: 'yes' } } })
    expect((await remote).map((l) => JSON.parse(l) as WatchEventOf)).toMatchObject([{ type: 'ADDED', object: { metadata: { name: 'marked' } } }])
  })

  it.each(MODES)('authenticates as the certificate or token it carries, and RBAC decides per identity (%s)', async (mode) => {
    const alice = issueClientCert(t.server.pki.ca, 'alice', ['team-a'])
    const a = inProcess(alice.certPem, undefined, mode)
    const foreign = inProcess(issueClientCert(createCA('not-the-cluster-ca'), 'mallory', ['system:masters']).certPem, undefined, mode)
    const adminToken = readFileSync(join(t.dir, 'data', 'tokens.csv'), 'utf8').split(',')[0]!
    const byToken = inProcess(undefined, adminToken, mode)
    const anonymous = inProcess(undefined, undefined, mode)
    try {
      expect(await whoami(a)).toMatchObject({ username: 'alice', groups: ['team-a', 'system:authenticated'] })
      const denied = (await a.list(CM, { namespace: 'default' }).catch((e: unknown) => e)) as ApiClientError
      expect(denied.code).toBe(403)
      expect(denied.message).toContain('User "alice" cannot list resource "configmaps"')
      expect(((await foreign.list(CM, { namespace: 'default' }).catch((e: unknown) => e)) as ApiClientError).code).toBe(401)
      expect((await whoami(byToken)).username).toBe('kubernetes-admin')
      expect(((await anonymous.list(CM, { namespace: 'default' }).catch((e: unknown) => e)) as ApiClientError).code).toBe(403)
    } finally {
      for (const k of [a, foreign, byToken, anonymous]) k.close()
    }
  })
  it.each(MODES)('ends its watches and refuses new requests once the server closes, as a dropped connection would (%s)', async (mode) => {
    const own = await startTestApiServer()
    const k = createClient({
      server: own.server.url,
      caPem: own.server.pki.ca.certPem,
      certPem: own.server.admin.certPem,
      userAgent: 'in-process-test',
      ...(mode === 'direct'
        ? { dispatch: own.server.inProcessDispatch(own.server.admin.certPem) }
        : { connect: own.server.inProcessConnect(own.server.admin.certPem) }),
    })
    try {
      const start = await k.list(CM, { namespace: 'default' })
      const w = k.watch(CM, { namespace: 'default', resourceVersion: start.resourceVersion }, () => undefined)
      await own.close()
      // The server ends open watches on close (the client then watches again, as informers do).
      await expect(w.done).resolves.toBeUndefined()
      const refused = (await k.list(CM, { namespace: 'default' }).catch((e: unknown) => e)) as ApiClientError
      expect(refused).toBeInstanceOf(ApiClientError)
      expect(refused.code).toBe(0)
      expect(refused.message).toMatch(/cannot reach the API server/)
    } finally {
      k.close()
    }
  })
})

describe('informer', () => {
  let t: TestApiServer
  let c: ClosableClient
  beforeAll(async () => {
    // A tiny history so the informer's watch position is compacted away.
    t = await startTestApiServer({ storage: createMemoryStore({ historyLimit: 20 }) })
    c = clientFor(t)
    await c.create(NS, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'inf' } })
  })
  afterAll(async () => {
    c?.close()
    await t?.close()
  })

  it('lists, then follows the watch with (old, new) updates and deletes', async () => {
    await c.create(CM, 'inf', cm('pre', { v: '0' }))
    const inf = new Informer<CMObj>(c, CM, { namespace: 'inf', pageSize: 2 })
    const log: string[] = []
    inf.addHandler({
      add: (o) => log.push(`add ${o.metadata!.name}`),
      update: (o, n) => log.push(`update ${n.metadata!.name} ${o.data?.v}->${n.data?.v}`),
      delete: (o) => log.push(`delete ${o.metadata!.name}`),
    })
    // A throwing handler is logged and does not stop the others.
    const problems: string[] = []
    ;(inf as unknown as { log: (l: string) => void }).log = (l) => problems.push(l)
    inf.addHandler({
      add: () => {
        throw new Error('handler bug')
      },
    })
    await inf.start()
    expect(inf.hasSynced()).toBe(true)
    expect(inf.get('inf/pre')?.data).toEqual({ v: '0' })
    await c.create(CM, 'inf', cm('live', { v: '1' }))
    await c.patch(CM, 'inf', 'live', { data: { v: '2' } }, 'merge')
    await c.delete(CM, 'inf', 'pre')
    await until('events', () => log.includes('delete pre'))
    expect(log.filter((l) => !l.includes('kube-root-ca'))).toEqual(['add pre', 'add live', 'update live 1->2', 'delete pre'])
    expect(
      inf
        .list()
        .map((o) => o.metadata!.name)
        .filter((n) => n !== 'kube-root-ca.crt'),
    ).toEqual(['live'])
    expect(inf.byIndex('namespace', 'inf').map((o) => o.metadata!.name)).toContain('live')
    expect(problems.some((p) => p.includes('handler bug'))).toBe(true)
    inf.stop()
    await inf.whenStopped()
  })

  it('re-lists after its watch position is compacted and emits the differences', async () => {
    // A client whose watches can be held back, so history moves on while the informer is away.
    let lists = 0
    let hold = false
    let current: { stop(): void } | undefined
    const held: ClosableClient = {
      ...c,
      list: (res, opts) => {
        lists++
        return c.list(res, opts)
      },
      watch: (res, opts, onEvent) => {
        if (!hold) return (current = c.watch(res, opts, onEvent))
        // Held: fail like a refused connection; the informer retries after its back-off.
        return { stop() {}, done: Promise.reject(new ApiClientError(0, 'NetworkError', 'held by the test')) }
      },
    }
    await c.create(CM, 'inf', cm('keep', { v: '1' }, { compact: 'yes' }))
    await c.create(CM, 'inf', cm('gone', { v: '1' }, { compact: 'yes' }))
    await c.create(CM, 'inf', cm('noise', { v: '0' }))
    const inf = new Informer<CMObj>(held, CM, { namespace: 'inf', labelSelector: 'compact=yes', log: () => {} })
    const seen: string[] = []
    inf.addHandler({
      add: (o) => seen.push(`add ${o.metadata!.name}`),
      update: (_o, n) => seen.push(`update ${n.metadata!.name} ${n.data?.v}`),
      delete: (o) => seen.push(`delete ${o.metadata!.name}`),
    })
    await inf.start()
    expect(seen.sort()).toEqual(['add gone', 'add keep'])
    expect(lists).toBe(1)
    seen.length = 0

    hold = true
    current?.stop()
    await c.patch(CM, 'inf', 'keep', { data: { v: '2' } }, 'merge')
    await c.delete(CM, 'inf', 'gone')
    await c.create(CM, 'inf', cm('while-away', { v: '1' }, { compact: 'yes' }))
    // More writes than the server keeps history for (20 events).
    for (let i = 0; i < 30; i++) await c.patch(CM, 'inf', 'noise', { data: { v: String(i) } }, 'merge')
    hold = false

    await until('re-list diff', () => seen.length >= 3)
    expect(lists).toBe(2) // the watch got 410 Expired and the informer listed again
    expect(seen.sort()).toEqual(['add while-away', 'delete gone', 'update keep 2'])
    expect(inf.get('inf/gone')).toBeUndefined()
    // And it keeps watching from the new list.
    await c.patch(CM, 'inf', 'keep', { data: { v: '3' } }, 'merge')
    await until('watch after re-list', () => inf.get('inf/keep')?.data?.v === '3')
    inf.stop()
  })

  it('re-delivers every cached object as update(obj, obj) on the resync period', async () => {
    const clock = new FakeClock()
    await c.create(CM, 'inf', cm('resynced', {}, { resync: 'yes' }))
    const inf = new Informer<CMObj>(c, CM, { namespace: 'inf', labelSelector: 'resync=yes', resyncMs: 30_000, clock })
    const updates: string[] = []
    inf.addHandler({ update: (o, n) => updates.push(`${n.metadata!.name} same=${o === n}`) })
    await inf.start()
    clock.advance(29_999)
    expect(updates).toEqual([])
    clock.advance(1)
    expect(updates).toEqual(['resynced same=true'])
    clock.advance(30_000)
    expect(updates).toHaveLength(2)
    inf.stop()
  })

  it('shares informers per resource and selectors through the factory', async () => {
    const f = new InformerFactory(c)
    const a = f.for(CM, { namespace: 'inf' })
    const b = f.for(CM, { namespace: 'inf' })
    const d = f.for(CM, { namespace: 'default' })
    expect(a).toBe(b)
    expect(a).not.toBe(d)
    await f.startAll()
    expect(a.hasSynced() && d.hasSynced()).toBe(true)
    const late = f.for(NS)
    await late.start()
    expect(late.get('inf')).toBeDefined()
    f.stopAll()
  })

  it('keeps one frozen copy of an object version across the informers of separate clients', async () => {
    // Two components in one process, each with its own connections (as in `control-plane`).
    const other = clientFor(t)
    const a = new Informer<CMObj>(c, CM, { namespace: 'inf', stripManagedFields: true })
    const b = new Informer<CMObj>(other, CM, { namespace: 'inf', stripManagedFields: true })
    const whole = new Informer<CMObj>(other, CM, { namespace: 'inf' })
    try {
      await c.create(CM, 'inf', cm('shared', { v: '1' }))
      await Promise.all([a.start(), b.start(), whole.start()])
      // From the list: one object for both stripped caches; the unstripped cache keeps its own.
      const first = a.get('inf/shared')!
      expect(b.get('inf/shared')).toBe(first)
      expect(first.metadata?.managedFields).toBeUndefined()
      expect(whole.get('inf/shared')).not.toBe(first)
      expect(whole.get('inf/shared')!.metadata?.managedFields?.length).toBeGreaterThan(0)
      // Shared objects are read-only (deep-frozen under tests): a component must copy to change one.
      expect(() => {
        ;(first.data as Record<string, string>).v = 'changed'
      }).toThrow(TypeError)
      // From the watch: the new version is again one object in both, and a different one.
      await c.patch(CM, 'inf', 'shared', { data: { v: '2' } }, 'merge')
      await until('both caches have v=2', () => a.get('inf/shared')?.data?.v === '2' && b.get('inf/shared')?.data?.v === '2')
      expect(b.get('inf/shared')).toBe(a.get('inf/shared'))
      expect(a.get('inf/shared')).not.toBe(first)
      expect(first.data).toEqual({ v: '1' })
    } finally {
      a.stop()
      b.stop()
      whole.stop()
      other.close()
    }
  })
})

describe('informer across an API server restart', () => {
  it('reconnects on the same port and catches up with what changed', async () => {
    const t = await startTestApiServer()
    const port = t.server.port
    const dataDir = join(t.dir, 'data')
    const c = clientFor(t)
    let server: ApiServer = t.server
    try {
      await c.create(CM, 'default', cm('before', { v: '1' }))
      const inf = new Informer<CMObj>(c, CM, { namespace: 'default', log: () => {} })
      const deleted: string[] = []
      inf.addHandler({ delete: (o) => deleted.push(o.metadata!.name!) })
      await inf.start()
      expect(inf.get('default/before')).toBeDefined()

      await server.close()
      server = await startApiServer({ dataDir, securePort: port, log: () => {} })
      await c.create(CM, 'default', cm('after', { v: '2' }))
      await c.delete(CM, 'default', 'before')
      await until('caught up after restart', () => inf.get('default/after') !== undefined && deleted.includes('before'), 40_000)
      expect(inf.get('default/before')).toBeUndefined()
      inf.stop()
    } finally {
      c.close()
      await server.close()
      if (server !== t.server) await t.close().catch(() => {})
    }
  })
})
