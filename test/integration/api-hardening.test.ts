// Requests an attacker on the same machine could send, over raw HTTPS: path tricks that URL
// parsing would turn into collection or namespace deletes, JSON patches built to blow up,
// oversized headers, and what an unauthenticated caller may see.
import { request } from 'node:https'
import { connect } from 'node:tls'
import { readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { writeKubeconfig } from '../../src-cluster/apiserver/kubeconfig'
import { createCA, issueClientCert } from '../../src-cluster/kit/pki'
import { startTestApiServer, type TestApiServer } from '../helpers/apiserver'
import { until } from '../helpers/wait'

let t: TestApiServer

interface Reply {
  status: number
  body: string
  headers: NodeJS.Dict<string[]>
}

function call(
  method: string,
  path: string,
  opts: { body?: string; contentType?: string; anonymous?: boolean; headers?: Record<string, string> } = {},
): Promise<Reply> {
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
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headersDistinct }))
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

  it('a JSON patch moving a value into its own child is 422, not a 500', async () => {
    for (const [from, path] of [
      ['/data', '/data/x'],
      ['/metadata', '/metadata/labels/deep'],
    ]) {
      const r = await call('PATCH', '/api/v1/namespaces/victim/configmaps/a', {
        body: JSON.stringify([{ op: 'move', from, path }]),
        contentType: 'application/json-patch+json',
      })
      expect(r.status, path).toBe(422)
      expect(message(r)).toBe(
        `JSON patch operation 0 (move ${from} -> ${path}) cannot be applied: move operation does not apply: doc is missing destination path: ${path}: missing value`,
      )
    }
    expect(await t.k('-n', 'victim', 'get', 'configmap', 'a', '-o', 'jsonpath={.data}')).toBe('{"k":"v"}')
  })

  it('more than 10 000 JSON patch operations is 413', async () => {
    const ops = Array.from({ length: 10_001 }, () => ({ op: 'test', path: '/data/k', value: 'v' }))
    const r = await call('PATCH', '/api/v1/namespaces/victim/configmaps/a', { body: JSON.stringify(ops), contentType: 'application/json-patch+json' })
    expect(r.status).toBe(413)
    expect(JSON.parse(r.body)).toMatchObject({
      kind: 'Status',
      reason: 'RequestEntityTooLarge',
      message: 'The allowed maximum operations in a JSON patch is 10000, got 10001',
    })
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

  it('duplicate fields in compact JSON (as JSON.stringify and client-go write bodies) are strict errors and warnings otherwise', async () => {
    for (const body of [
      '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"dup-a"},"data":{"k":"1","k":"2"}}',
      '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"dup-b","name":"dup-b"}}',
    ]) {
      const strict = await call('POST', '/api/v1/namespaces/victim/configmaps?fieldValidation=Strict', { body, contentType: 'application/json' })
      expect(strict.status, body).toBe(400)
      expect(message(strict)).toContain('duplicate field')
      const warn = await call('POST', '/api/v1/namespaces/victim/configmaps?fieldValidation=Warn', { body, contentType: 'application/json' })
      expect(warn.status, body).toBe(201)
      expect(String(warn.headers.warning), body).toContain('duplicate field')
    }
    // The same bodies without duplicates pass Strict.
    const clean = await call('POST', '/api/v1/namespaces/victim/configmaps?fieldValidation=Strict', {
      body: JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'dup-c' }, data: { k: '1' } }),
      contentType: 'application/json',
    })
    expect(clean.status).toBe(201)
  })

  it('bodies built to crash the server are 4xx: built-in-named fields, deep nesting, alias bombs', async () => {
    const cm = (name: string, extra: string) => `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"${name}"${extra}}}`
    for (const [i, field] of ['constructor', 'toString', '__proto__', 'hasOwnProperty'].entries()) {
      const strict = await call('POST', '/api/v1/namespaces/victim/configmaps?fieldValidation=Strict', {
        body: cm(`b${i}`, `,"${field}":{"a":1}`),
        contentType: 'application/json',
      })
      expect(strict.status, field).toBe(400)
      expect(message(strict)).toContain(`unknown field "metadata.${field}"`)
      // Without Strict the field is dropped, as any unknown field.
      const lax = await call('POST', '/api/v1/namespaces/victim/configmaps?fieldValidation=Ignore', {
        body: cm(`c${i}`, `,"${field}":{"a":1}`),
        contentType: 'application/json',
      })
      expect(lax.status, field).toBe(201)
    }
    // apiVersion/kind that are not strings (found by test/integration/api-fuzz.test.ts: an object without toString was a 500).
    for (const typeMeta of [
      '"apiVersion":"v1","kind":{"toString":null}',
      '"apiVersion":{"constructor":null},"kind":"ConfigMap"',
      '"apiVersion":"v1","kind":[1]',
    ]) {
      const r = await call('POST', '/api/v1/namespaces/victim/configmaps', { body: `{${typeMeta},"metadata":{"name":"tm"}}`, contentType: 'application/json' })
      expect(r.status, typeMeta).toBe(400)
      expect(message(r)).toMatch(
        /^the object provided is unrecognized \(must be of type ConfigMap\): couldn't get version\/kind; json parse error: json: cannot unmarshal (object|array) into Go struct field \.(kind|apiVersion) of type string$/,
      )
    }
    // Huge unknown field names are warned about in at most 4096 characters, 256 each (upstream's
    // warning recorder): the headers stay small enough for a client with Node's 16 KiB limit.
    const manyLong = Array.from({ length: 20 }, (_, i) => `"${String(i).padEnd(70_000, 'x')}":1`).join(',')
    const warned = await call('POST', '/api/v1/namespaces/victim/configmaps', { body: cm('warned', `,${manyLong}`), contentType: 'application/json' })
    expect(warned.status).toBe(201)
    const w = warned.headers.warning ?? []
    expect(w.length).toBe(16)
    for (const one of w) expect(one).toMatch(/^299 - "unknown field \\"metadata\.\d+x+"$/)
    // Non-ASCII field names reach the Warning header as UTF-8 (a 500 before: Node refuses characters over 0xFF in headers).
    const utf = await call('POST', '/api/v1/namespaces/victim/configmaps', { body: cm('utf', ',"😀\u202e":1,"\\ud800":2'), contentType: 'application/json' })
    expect(utf.status).toBe(201)
    expect((utf.headers.warning ?? []).map((h) => Buffer.from(h, 'latin1').toString('utf8'))).toEqual([
      '299 - "unknown field \\"metadata.😀\u202e\\""',
      '299 - "unknown field \\"metadata.\\\\ud800\\""',
    ])
    const deep = `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"deep"},"data":${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}}`
    const d = await call('POST', '/api/v1/namespaces/victim/configmaps', { body: deep, contentType: 'application/json' })
    expect(d.status).toBe(400)
    expect(message(d)).toContain('nested more than 1000 levels deep')
    const deepPatch = await call('PATCH', '/api/v1/namespaces/victim/configmaps/a', {
      body: `{"data":${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}}`,
      contentType: 'application/merge-patch+json',
    })
    expect(deepPatch.status).toBe(400)
    const laughs = ['a: &a ["x","x","x","x","x","x","x","x","x"]']
    for (const [prev, name] of [
      ['a', 'b'],
      ['b', 'c'],
      ['c', 'd'],
      ['d', 'e'],
      ['e', 'f'],
      ['f', 'g'],
      ['g', 'h'],
    ])
      laughs.push(`${name}: &${name} [${Array(9).fill(`*${prev}`).join(',')}]`)
    const bomb = await call('POST', '/api/v1/namespaces/victim/configmaps', { body: laughs.join('\n'), contentType: 'application/yaml' })
    expect(bomb.status).toBe(400)
    expect(message(bomb)).toContain('expands too many aliases')
    expect((await call('GET', '/healthz')).status).toBe(200)
  })

  it('a continue token from the future is 504 "Too large resource version"; watch timeouts must be whole seconds', async () => {
    const token = Buffer.from(JSON.stringify({ rv: 99_999_999, start: '/registry/core/configmaps/victim/a' })).toString('base64url')
    const r = await call('GET', `/api/v1/namespaces/victim/configmaps?limit=1&continue=${token}`)
    expect(r.status).toBe(504)
    expect(JSON.parse(r.body)).toMatchObject({ reason: 'Timeout', details: { causes: [{ reason: 'ResourceVersionTooLarge' }], retryAfterSeconds: 1 } })
    expect(message(r)).toMatch(/^Too large resource version: 99999999, current: \d+$/)
    for (const bad of ['abc', '-1', '1.5']) {
      const w = await call('GET', `/api/v1/namespaces/victim/configmaps?watch=1&timeoutSeconds=${bad}`)
      expect(w.status, bad).toBe(400)
      expect(message(w)).toContain('timeoutSeconds must be a whole number of seconds')
    }
    // Lists (and collection deletes) read limit and timeoutSeconds as Go's strconv.ParseInt: no silent "no limit".
    for (const [query, why] of [
      ['limit=abc', 'strconv.ParseInt: parsing "abc": invalid syntax'],
      ['limit=1.5', 'strconv.ParseInt: parsing "1.5": invalid syntax'],
      ['timeoutSeconds=abc', 'strconv.ParseInt: parsing "abc": invalid syntax'],
      ['limit=99999999999999999999', 'strconv.ParseInt: parsing "99999999999999999999": value out of range'],
    ]) {
      for (const method of ['GET', 'DELETE']) {
        const l = await call(method, `/api/v1/namespaces/victim/configmaps?${query}`)
        expect([query, method, l.status, message(l)]).toEqual([query, method, 400, why])
      }
    }
    expect(await t.k('-n', 'victim', 'get', 'configmaps', '-o', 'name')).toContain('configmap/a\nconfigmap/b')
    expect((await call('GET', '/api/v1/namespaces/victim/configmaps?limit=1&timeoutSeconds=5')).status).toBe(200)
    // A valid timeout ends the watch by itself.
    expect((await call('GET', '/api/v1/namespaces/victim/configmaps?watch=1&timeoutSeconds=1')).status).toBe(200)
  })

  it('a get or list not older than a resourceVersion the store has not reached waits for it, then is 504 "Too large resource version"', async () => {
    const current = Number(JSON.parse((await call('GET', '/api/v1/namespaces/victim/configmaps')).body).metadata.resourceVersion)
    // The next write reaches it: the list waits and answers at that version or later.
    const waiting = call('GET', `/api/v1/namespaces/victim/configmaps?resourceVersion=${current + 1}`)
    await t.k('-n', 'victim', 'create', 'configmap', 'fresh', '--from-literal=k=v')
    const fresh = await waiting
    expect(fresh.status).toBe(200)
    expect(Number(JSON.parse(fresh.body).metadata.resourceVersion)).toBeGreaterThanOrEqual(current + 1)
    expect(JSON.parse(fresh.body).items.map((i: { metadata: { name: string } }) => i.metadata.name)).toContain('fresh')
    // Nothing reaches it: 504 after the wait, for lists and gets alike (never an answer older than asked for).
    const [list, get] = await Promise.all([
      call('GET', '/api/v1/namespaces/victim/configmaps?resourceVersion=99999999&resourceVersionMatch=NotOlderThan'),
      call('GET', '/api/v1/namespaces/victim/configmaps/a?resourceVersion=99999999'),
    ])
    for (const r of [list, get]) {
      expect(r.status).toBe(504)
      expect(JSON.parse(r.body)).toMatchObject({ reason: 'Timeout', details: { causes: [{ reason: 'ResourceVersionTooLarge' }], retryAfterSeconds: 1 } })
      expect(message(r)).toMatch(/^Too large resource version: 99999999, current: \d+$/)
    }
    // resourceVersion=0 (any version) is served at once.
    expect((await call('GET', '/api/v1/namespaces/victim/configmaps/a?resourceVersion=0')).status).toBe(200)
  })

  it('anonymous callers are system:anonymous: /version and health are public (system:public-info-viewer), the rest 403', async () => {
    const v = await call('GET', '/version', { anonymous: true })
    expect(v.status).toBe(200)
    expect(JSON.parse(v.body)).toHaveProperty('gitVersion')
    for (const p of ['/healthz', '/livez', '/readyz']) {
      const r = await call('GET', p, { anonymous: true })
      expect([p, r.status, r.body]).toEqual([p, 200, 'ok'])
    }
    const ns = await call('GET', '/api/v1/namespaces', { anonymous: true })
    expect(ns.status).toBe(403)
    expect(JSON.parse(ns.body)).toMatchObject({
      kind: 'Status',
      reason: 'Forbidden',
      code: 403,
      message: 'namespaces is forbidden: User "system:anonymous" cannot list resource "namespaces" in API group "" at the cluster scope',
    })
    const root = await call('GET', '/', { anonymous: true })
    expect([root.status, message(root)]).toEqual([403, 'forbidden: User "system:anonymous" cannot get path "/"'])
    expect(message(await call('GET', '/healthz/etcd', { anonymous: true }))).toBe('forbidden: User "system:anonymous" cannot get path "/healthz/etcd"')
    expect(message(await call('DELETE', '/version', { anonymous: true }))).toBe('forbidden: User "system:anonymous" cannot delete path "/version"')
    // Credentials that do not check out are 401, never anonymous.
    const bad = await call('GET', '/version', { anonymous: true, headers: { authorization: 'Bearer not-a-token' } })
    expect([bad.status, message(bad)]).toEqual([401, 'Unauthorized'])
    // Taking the public-info-viewer binding away takes /version from anonymous callers too (RBAC decides, not a special case).
    await t.k('annotate', 'clusterrolebinding', 'system:public-info-viewer', 'rbac.authorization.kubernetes.io/autoupdate=false', '--overwrite')
    await t.k('patch', 'clusterrolebinding', 'system:public-info-viewer', '--type=json', '-p', '[{"op":"remove","path":"/subjects/1"}]')
    await until('anonymous /version refused', async () => (await call('GET', '/version', { anonymous: true })).status !== 200, {
      timeoutMs: 5_000,
      intervalMs: 100,
    })
    expect(message(await call('GET', '/version', { anonymous: true }))).toBe('forbidden: User "system:anonymous" cannot get path "/version"')
    expect((await call('GET', '/version')).status).toBe(200)
    await t.k(
      'patch',
      'clusterrolebinding',
      'system:public-info-viewer',
      '--type=json',
      '-p',
      '[{"op":"add","path":"/subjects/1","value":{"kind":"Group","apiGroup":"rbac.authorization.k8s.io","name":"system:unauthenticated"}}]',
    )
    await until('anonymous /version allowed again', async () => (await call('GET', '/version', { anonymous: true })).status === 200, {
      timeoutMs: 5_000,
      intervalMs: 100,
    })
    expect((await call('GET', '/version', { anonymous: true })).status).toBe(200)
  })

  it('kubectl without credentials is system:anonymous, and a foreign client certificate is 401', async () => {
    const anon = join(t.dir, 'anonymous.kubeconfig')
    writeKubeconfig(anon, { server: t.server.url, caPem: t.server.pki.ca.certPem, user: 'nobody' })
    // kubectl prompts for basic-auth credentials when a kubeconfig user has none; the API server
    // (as upstream's, which has no basic auth) ignores them, so the caller stays anonymous.
    const noCreds = ['--kubeconfig', anon, '--username=someone', '--password=anything']
    const ver = await t.kubectl(['version', '-o', 'json', ...noCreds])
    expect(JSON.parse(ver.stdout)).toHaveProperty('serverVersion.gitVersion')
    // Discovery is for authenticated users only (system:discovery), so kubectl get fails early…
    expect((await t.kubectl(['-n', 'victim', 'get', 'configmaps', ...noCreds])).stderr).toContain('Error from server (Forbidden)')
    // …and the request itself is refused with upstream's message.
    const raw = await t.kubectl(['get', '--raw', '/api/v1/namespaces/victim/configmaps', ...noCreds])
    expect(raw.stderr).toContain('configmaps is forbidden: User "system:anonymous" cannot list resource "configmaps" in API group "" in the namespace "victim"')
    const foreign = issueClientCert(createCA('elsewhere'), 'kubernetes-admin', ['system:masters'])
    const spoof = join(t.dir, 'foreign.kubeconfig')
    writeKubeconfig(spoof, { server: t.server.url, caPem: t.server.pki.ca.certPem, user: 'x', certPem: foreign.certPem, keyPem: foreign.keyPem })
    const r = await t.kubectl(['get', '--raw', '/version', '--kubeconfig', spoof])
    expect(r.stderr).toContain('Unauthorized')
  })

  it('methods the API does not serve are 405 (never read as a GET, never a 500); CONNECT an empty 405; unparsable ones an empty 400', async () => {
    const u = new URL(t.server.url)
    const raw = (method: string, path: string, admin: boolean): Promise<{ status: number; body: string }> =>
      new Promise((resolve, reject) => {
        const s = connect(
          {
            host: u.hostname,
            port: Number(u.port),
            ca: t.server.pki.ca.certPem,
            ...(admin ? { cert: t.server.admin.certPem, key: t.server.admin.keyPem } : {}),
          },
          () => s.write(`${method} ${path} HTTP/1.1\r\nHost: ${u.host}\r\nConnection: close\r\n\r\n`),
        )
        let text = ''
        s.setEncoding('utf8')
        s.on('data', (d: string) => (text += d))
        s.on('error', reject)
        s.on('close', () => {
          const head = text.slice(0, text.indexOf('\r\n\r\n'))
          const body = text.slice(text.indexOf('\r\n\r\n') + 4)
          // Strip chunked framing if any: the JSON object is all we compare.
          resolve({
            status: Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0),
            body: body.includes('{') ? body.slice(body.indexOf('{'), body.lastIndexOf('}') + 1) : body,
          })
        })
      })
    for (const m of ['OPTIONS', 'TRACE', 'PROPFIND', 'PURGE', 'MKCOL']) {
      for (const path of ['/api/v1/namespaces/victim/configmaps/a', '/api/v1/namespaces', '/version', '/api', '/apis/apps/v1/namespaces/victim/deployments']) {
        const r = await raw(m, path, true)
        expect([m, path, r.status]).toEqual([m, path, 405])
        expect(JSON.parse(r.body)).toMatchObject({
          kind: 'Status',
          reason: 'MethodNotAllowed',
          code: 405,
          message: 'the server does not allow this method on the requested resource',
        })
      }
    }
    // Authorization sees the method as the verb, as upstream's RequestInfo makes it.
    const anon = await raw('OPTIONS', '/api/v1/namespaces/victim/configmaps/a', false)
    expect([anon.status, JSON.parse(anon.body).message]).toEqual([
      403,
      'configmaps "a" is forbidden: User "system:anonymous" cannot options resource "configmaps" in API group "" in the namespace "victim"',
    ])
    // Read-only routes refuse writes.
    expect((await call('POST', '/version')).status).toBe(405)
    expect((await call('DELETE', '/openapi/v2')).status).toBe(405)
    const connectR = await raw('CONNECT', 'localhost:443', true)
    expect([connectR.status, connectR.body]).toEqual([405, ''])
    const bogus = await raw('BOGUS', '/api/v1/namespaces', true)
    expect([bogus.status, bogus.body]).toEqual([400, ''])
    // The configmap is still there and the server still answers.
    expect((await call('GET', '/api/v1/namespaces/victim/configmaps/a')).status).toBe(200)
  })

  it('the store directory is owner-only and its files are not world-readable', () => {
    const dir = join(t.dir, 'data', 'store')
    expect(statSync(dir).mode & 0o777).toBe(0o700)
    const files = readdirSync(dir).filter((n) => n !== 'LOCK')
    expect(files.length).toBeGreaterThan(0)
    for (const f of files) expect(statSync(join(dir, f)).mode & 0o077, f).toBe(0)
  })
})
