// The ingress reverse proxy against real HTTP backends on loopback: routing by host and path,
// X-Forwarded-* headers, 404 / 503 / 502 answers, round-robin, keep-alive on both sides, body
// pass-through, table swaps, TLS certificates by SNI and upgraded (WebSocket-style) connections.
import { Agent, createServer, request, type IncomingMessage, type Server } from 'node:http'
import { request as httpsRequest } from 'node:https'
import { connect, type AddressInfo } from 'node:net'
import type { TLSSocket } from 'node:tls'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createCA, issueCert } from '../../src-cluster/kit/pki'
import { buildRoutingTable, buildTlsTable, IngressProxy } from '../../src-cluster/ingress'
import { freePort } from '../../src-cluster/util/net'
import type { IngressObj, SecretObj, ServiceObj, SliceObj } from '../../src-cluster/kit/objects'

interface Echo {
  who: string
  method: string
  url: string
  headers: Record<string, string>
  body: string
  remotePort: number
}

const backends: { name: string; server: Server; port: number }[] = []

async function backend(name: string): Promise<number> {
  const server = createServer((req, res) => {
    let body = ''
    req.on('data', (d: Buffer) => (body += d))
    req.on('end', () => {
      const e: Echo = {
        who: name,
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers as Record<string, string>,
        body,
        remotePort: req.socket.remotePort ?? 0,
      }
      res.writeHead(200, { 'content-type': 'application/json', 'x-backend': name })
      res.end(JSON.stringify(e))
    })
  })
  // An upgrade handler that switches protocols and then echoes bytes upper-cased.
  server.on('upgrade', (req: IncomingMessage, socket) => {
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: ${req.headers.upgrade}\r\nConnection: Upgrade\r\nX-Backend: ${name}\r\n\r\n`)
    socket.on('data', (d: Buffer) => socket.write(d.toString().toUpperCase()))
    socket.on('end', () => socket.end())
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const port = (server.address() as AddressInfo).port
  backends.push({ name, server, port })
  return port
}

const svc = (name: string, port = 80): ServiceObj =>
  ({ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'default' }, spec: { ports: [{ name: 'http', port, protocol: 'TCP' }] } }) as ServiceObj
const slice = (name: string, ports: number[], ready = true): SliceObj =>
  ({
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: `${name}-1`, namespace: 'default', labels: { 'kubernetes.io/service-name': name } },
    addressType: 'IPv4',
    // One slice per port: each loopback backend is its own "pod" with its own target port.
    ports: [{ name: 'http', port: ports[0], protocol: 'TCP' }],
    endpoints: [{ addresses: ['127.0.0.1'], conditions: { ready } }],
  }) as SliceObj
const slicesFor = (name: string, ports: number[], ready = true): SliceObj[] =>
  ports.map(
    (p, i) =>
      ({ ...slice(name, [p], ready), metadata: { name: `${name}-${i}`, namespace: 'default', labels: { 'kubernetes.io/service-name': name } } }) as SliceObj,
  )

function ing(rules: { host?: string; path: string; service: string; pathType?: string }[], tls?: { hosts: string[]; secretName: string }[]): IngressObj {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name: 'web', namespace: 'default', creationTimestamp: '2026-01-01T00:00:00Z' },
    spec: {
      rules: rules.map((r) => ({
        host: r.host,
        http: { paths: [{ path: r.path, pathType: r.pathType ?? 'Prefix', backend: { service: { name: r.service, port: { number: 80 } } } }] },
      })),
      tls,
    },
  } as IngressObj
}

let proxy: IngressProxy
let httpPort = 0
let httpsPort = 0
let ports: Record<string, number> = {}
const ca = createCA('ingress test CA')
const shopCert = issueCert(ca, { commonName: 'shop.test', dnsNames: ['shop.test'], server: true })
const defaultCert = issueCert(ca, { commonName: 'default.invalid', dnsNames: ['default.invalid'], server: true })
const clientAgent = new Agent({ keepAlive: true, maxSockets: 1 })

function get(
  path: string,
  o: { host?: string; method?: string; body?: string; headers?: Record<string, string>; agent?: Agent } = {},
): Promise<{ status: number; headers: IncomingMessage['headers']; body: string; reused: boolean }> {
  return new Promise((ok, fail) => {
    const req = request(
      { host: '127.0.0.1', port: httpPort, path, method: o.method ?? 'GET', headers: { host: o.host ?? 'app.test', ...o.headers }, agent: o.agent ?? false },
      (res) => {
        let body = ''
        res.on('data', (d: Buffer) => (body += d))
        res.on('end', () => ok({ status: res.statusCode ?? 0, headers: res.headers, body, reused: req.reusedSocket }))
      },
    )
    req.setTimeout(10_000, () => req.destroy(new Error(`GET ${path} timed out`)))
    req.on('error', fail)
    req.end(o.body)
  })
}

const echo = async (path: string, o: Parameters<typeof get>[1] = {}): Promise<Echo> => {
  const r = await get(path, o)
  if (r.status !== 200) throw new Error(`${path}: ${r.status} ${r.body}`)
  return JSON.parse(r.body) as Echo
}

function tlsSecret(name: string, pair: { certPem: string; keyPem: string }): SecretObj {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace: 'default', resourceVersion: '1' },
    type: 'kubernetes.io/tls',
    data: { 'tls.crt': Buffer.from(pair.certPem).toString('base64'), 'tls.key': Buffer.from(pair.keyPem).toString('base64') },
  }
}

function routes(extra: { readyB?: boolean } = {}): ReturnType<typeof buildRoutingTable> {
  return buildRoutingTable({
    ingresses: [
      ing([
        { host: 'app.test', path: '/a', service: 'svc-a' },
        { host: 'app.test', path: '/b', service: 'svc-b' },
        { host: 'app.test', path: '/rr', service: 'svc-rr' },
        { host: 'app.test', path: '/dead', service: 'svc-dead' },
        { host: 'app.test', path: '/empty', service: 'svc-empty' },
        { host: 'shop.test', path: '/', service: 'svc-b' },
      ]),
    ],
    services: ['svc-a', 'svc-b', 'svc-rr', 'svc-dead', 'svc-empty'].map((n) => svc(n)),
    slices: [
      ...slicesFor('svc-a', [ports.a!]),
      ...slicesFor('svc-b', [ports.b!], extra.readyB ?? true),
      ...slicesFor('svc-rr', [ports.r1!, ports.r2!]),
      ...slicesFor('svc-dead', [ports.dead!]),
      ...slicesFor('svc-empty', [ports.a!], false),
    ],
  })
}

beforeAll(async () => {
  ports = { a: await backend('a'), b: await backend('b'), r1: await backend('r1'), r2: await backend('r2'), dead: await freePort() }
  proxy = new IngressProxy({ host: '127.0.0.1', httpPort: 0, httpsPort: 0, defaultCert, log: () => {} })
  const addrs = await proxy.listen()
  httpPort = addrs.http.port
  httpsPort = addrs.https!.port
  proxy.setRoutes(routes())
  proxy.setTls(
    buildTlsTable(
      [ing([{ host: 'shop.test', path: '/', service: 'svc-b' }], [{ hosts: ['shop.test'], secretName: 'shop-tls' }])],
      [tlsSecret('shop-tls', shopCert)],
    ),
  )
}, 60_000)

afterAll(async () => {
  clientAgent.destroy()
  await proxy?.close()
  for (const b of backends) {
    b.server.closeAllConnections()
    await new Promise((r) => b.server.close(r))
  }
})

describe('ingress proxy', () => {
  it('routes by host and path, keeping path, query, method and Host', async () => {
    const a = await echo('/a/x?q=1')
    expect(a.who).toBe('a')
    expect(a.url).toBe('/a/x?q=1')
    expect(a.headers.host).toBe('app.test')
    expect((await echo('/b')).who).toBe('b')
    expect((await echo('/anything', { host: 'shop.test:8080' })).who).toBe('b')
  })

  it('adds X-Forwarded-* headers and appends to an existing X-Forwarded-For', async () => {
    const e = await echo('/a', { headers: { 'x-forwarded-for': '203.0.113.7' } })
    expect(e.headers['x-forwarded-for']).toBe('203.0.113.7, 127.0.0.1')
    expect(e.headers['x-forwarded-host']).toBe('app.test')
    expect(e.headers['x-forwarded-proto']).toBe('http')
    expect(e.headers['x-forwarded-port']).toBe(String(httpPort))
    expect(e.headers['x-real-ip']).toBe('127.0.0.1')
  })

  it('passes request bodies and response headers through', async () => {
    const r = await get('/a/post', { method: 'POST', body: 'x'.repeat(100_000), headers: { 'content-type': 'text/plain' } })
    expect(r.status).toBe(200)
    expect(r.headers['x-backend']).toBe('a')
    const e = JSON.parse(r.body) as Echo
    expect(e.method).toBe('POST')
    expect(e.body.length).toBe(100_000)
  })

  it('answers 404 when no rule matches', async () => {
    const r = await get('/nothing-here')
    expect(r.status).toBe(404)
    expect(r.body).toMatch(/no ingress rule matches host "app.test" and path "\/nothing-here"/)
    expect((await get('/a', { host: 'unknown.test' })).status).toBe(404)
  })

  it('answers 503 with the reason when the Service has no ready endpoints', async () => {
    const r = await get('/empty')
    expect(r.status).toBe(503)
    expect(r.body).toBe('503 Service Unavailable: service default/svc-empty has no ready endpoints (ingress default/web)\n')
  })

  it('answers 502 naming the endpoint when it refuses the connection', async () => {
    const r = await get('/dead')
    expect(r.status).toBe(502)
    expect(r.body).toContain(`endpoint 127.0.0.1:${ports.dead} of service default/svc-dead failed: ECONNREFUSED`)
  })

  it('balances round-robin over the ready endpoints', async () => {
    const seen: string[] = []
    for (let i = 0; i < 6; i++) seen.push((await echo('/rr')).who)
    expect(new Set(seen)).toEqual(new Set(['r1', 'r2']))
    for (let i = 1; i < seen.length; i++) expect(seen[i]).not.toBe(seen[i - 1])
  })

  it('keeps connections alive to clients and to backends', async () => {
    const first = await get('/a', { agent: clientAgent })
    const second = await get('/a', { agent: clientAgent })
    expect(first.status).toBe(200)
    expect(second.reused).toBe(true)
    // the backend saw both requests on one connection from the proxy
    expect((JSON.parse(first.body) as Echo).remotePort).toBe((JSON.parse(second.body) as Echo).remotePort)
  })

  it('applies a new routing table at once', async () => {
    proxy.setRoutes(routes({ readyB: false }))
    expect((await get('/b')).status).toBe(503)
    proxy.setRoutes(routes())
    expect((await echo('/b')).who).toBe('b')
  })

  it('serves HTTPS with the certificate of the SNI host, and the default one otherwise', async () => {
    const tlsGet = (servername: string): Promise<{ cn: string; body: string }> =>
      new Promise((ok, fail) => {
        const req = httpsRequest(
          { host: '127.0.0.1', port: httpsPort, path: '/', servername, headers: { host: servername }, ca: ca.certPem, rejectUnauthorized: false, agent: false },
          (res) => {
            const cn = String((res.socket as TLSSocket).getPeerCertificate().subject?.CN ?? '')
            let body = ''
            res.on('data', (d: Buffer) => (body += d))
            res.on('end', () => ok({ cn, body }))
          },
        )
        req.on('error', fail)
        req.end()
      })
    const shop = await tlsGet('shop.test')
    expect(shop.cn).toBe('shop.test')
    const e = JSON.parse(shop.body) as Echo
    expect(e.who).toBe('b')
    expect(e.headers['x-forwarded-proto']).toBe('https')
    expect((await tlsGet('other.test')).cn).toBe('default.invalid')
  })

  it('passes upgraded connections through as a byte stream', async () => {
    const sock = connect(httpPort, '127.0.0.1')
    let got = ''
    sock.on('data', (d: Buffer) => (got += d))
    sock.write('GET /a/ws HTTP/1.1\r\nHost: app.test\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n')
    const until = async (cond: () => boolean): Promise<void> => {
      for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 25))
    }
    await until(() => got.includes('\r\n\r\n'))
    expect(got).toMatch(/^HTTP\/1\.1 101 Switching Protocols/)
    expect(got).toContain('X-Backend: a')
    got = ''
    sock.write('hello')
    await until(() => got === 'HELLO')
    expect(got).toBe('HELLO')
    sock.destroy()
  })
})
