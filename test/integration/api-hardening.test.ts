// Requests an attacker on the same machine could send, over raw HTTPS: path tricks that URL
// parsing would turn into collection or namespace deletes, JSON patches built to blow up,
// oversized headers, and what an unauthenticated caller may see.
import { request } from 'node:https'
import { readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestApiServer, type TestApiServer } from '../helpers/apiserver'

let t: TestApiServer

interface Reply {
  status: number
  body: string
}

function call(method: string, path: string, opts: { body?: string; contentType?: string; anonymous?: boolean; headers?: Record<string, string> } = {}): Promise<Reply> {
  const u = new URL(t.server.url)
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: u.hostname,
        port: u.port,
        method,
        path,
        ca: t.server.pki.ca.certPem,
        ...(opts.anonymous ? {} : { cert: t.server.admin.certPem, key: t.server.admin.keyPem }),
        headers: { ...(opts.contentType ? { 'content-type': opts.contentType } : {}), ...(opts.headers ?? {}) },
      },
      (res) => {
        let body = ''
        res.setEncoding('utf8')
        res.on('data', (c: string) => (body += c))
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
      },
    )
    req.on('error', reject)
    req.end(opts.body)
  })
}

const message = (r: Reply): string => (JSON.parse(r.body) as { message: string }).message

beforeAll(async () => {
  t = await startTestApiServer()
  await t.k('create', 'namespace', 'victim')
  await t.k('-n', 'victim', 'create', 'configmap', 'a', '--from-literal=k=v')
  await t.k('-n', 'victim', 'create', 'configmap', 'b', '--from-literal=k=v')
})
afterAll(async () => {
  await t?.close()
})

describe('API server hardening', () => {
  it('"." and ".." as names are 400 "Name parameter invalid", never a collection or namespace delete', async () => {
    for (const [seg, shown] of [
      ['.', '.'],
      ['..', '..'],
      ['%2e', '.'],
      ['%2E%2e', '..'],
    ] as const) {
      const r = await call('DELETE', `/api/v1/namespaces/victim/configmaps/${seg}`)
      expect(r.status, seg).toBe(400)
      expect(message(r)).toBe(`Name parameter invalid: "${shown}": may not be '${shown}'`)
    }
    expect((await call('GET', '/api/v1/namespaces/victim/configmaps/./a')).status).toBe(400)
    const bad = await call('GET', '/api/v1/namespaces/victim/configmaps/%zz')
    expect(bad.status).toBe(400)
    expect(message(bad)).toContain('malformed %-escape')
    expect(await t.k('-n', 'victim', 'get', 'configmaps', '-o', 'name')).toContain('configmap/a\nconfigmap/b')
    expect(await t.k('get', 'namespace', 'victim', '-o', 'jsonpath={.status.phase}')).toBe('Active')
  })

  it('a JSON patch of self-doubling copies is refused at the copy limit, and the server stays responsive', async () => {
    const ops: unknown[] = [{ op: 'add', path: '/data/x', value: 'y'.repeat(1024) }]
    for (let i = 0; i < 26; i++) ops.push({ op: 'copy', from: '/data', path: `/data/c${i}` })
    const r = await call('PATCH', '/api/v1/namespaces/victim/configmaps/a', { body: JSON.stringify(ops), contentType: 'application/json-patch+json' })
    expect(r.status).toBe(422)
    expect(message(r)).toMatch(/the accumulated size increase of copies is \d+ bytes, exceeding the limit of 3145728/)
    expect((await call('GET', '/healthz')).status).toBe(200)
    expect(await t.k('-n', 'victim', 'get', 'configmap', 'a', '-o', 'jsonpath={.data}')).toBe('{"k":"v"}')
  })

  it('more than 10 000 JSON patch operations is 413', async () => {
    const ops = Array.from({ length: 10_001 }, () => ({ op: 'test', path: '/data/k', value: 'v' }))
    const r = await call('PATCH', '/api/v1/namespaces/victim/configmaps/a', { body: JSON.stringify(ops), contentType: 'application/json-patch+json' })
    expect(r.status).toBe(413)
    expect(JSON.parse(r.body)).toMatchObject({ kind: 'Status', reason: 'RequestEntityTooLarge', message: 'The allowed maximum operations in a JSON patch is 10000, got 10001' })
    // 10 000 is still fine.
    const ok = await call('PATCH', '/api/v1/namespaces/victim/configmaps/a', { body: JSON.stringify(ops.slice(1)), contentType: 'application/json-patch+json' })
    expect(ok.status).toBe(200)
  })

  it('a long label selector (a 100 KiB request line) is served', async () => {
    const values = Array.from({ length: 9000 }, (_, i) => `v${i}`).join(',')
    const r = await call('GET', `/api/v1/namespaces/victim/configmaps?labelSelector=${encodeURIComponent(`app in (${values})`)}`)
    expect(r.status).toBe(200)
    expect(JSON.parse(r.body)).toMatchObject({ kind: 'ConfigMapList', items: [] })
  })

  it('/version is public; the API needs credentials', async () => {
    const v = await call('GET', '/version', { anonymous: true })
    expect(v.status).toBe(200)
    expect(JSON.parse(v.body)).toHaveProperty('gitVersion')
    expect((await call('GET', '/api/v1/namespaces', { anonymous: true })).status).toBe(401)
  })

  it('the store directory is owner-only and its files are not world-readable', () => {
    const dir = join(t.dir, 'data', 'store')
    expect(statSync(dir).mode & 0o777).toBe(0o700)
    const files = readdirSync(dir).filter((n) => n !== 'LOCK')
    expect(files.length).toBeGreaterThan(0)
    for (const f of files) expect(statSync(join(dir, f)).mode & 0o077, f).toBe(0)
  })
})
