// The desktop app's port-forward (src-main/backend/portforward) through the in-process API
// server's pods/portforward to a kubelet streaming server backed by the fake runtime, whose
// "pods" are this host: fetching through the local port reaches a local HTTP server.
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { createServer as createHttpServer, request as httpRequest, type Server as HttpServer } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { issueCert } from '../../src-cluster/kit/pki'
import { createClient, resourceRef, type ClosableClient } from '../../src-cluster/client'
import { startKubeletServer, type KubeletServer } from '../../src-cluster/kubelet/server'
import { createBackend, type Backend } from '../../src-main/backend'
import type { EventMessage, PortForwardInfo, PortForwardStarted, Reply } from '../../src-main/contract'
import { startTestApiServer, type TestApiServer } from '../helpers/apiserver'
import { startFakeStreamingRuntime, type FakeStreamingRuntime } from '../helpers/fake-streaming-runtime'
import { until } from '../helpers/wait'

const NODES = resourceRef('v1', 'nodes')
const PODS = resourceRef('v1', 'pods')
const SERVICES = resourceRef('v1', 'services')

let t: TestApiServer
let client: ClosableClient
let fake: FakeStreamingRuntime
let kubelet: KubeletServer
let web: HttpServer
let webPort = 0
let home = ''
let backend: Backend
const events: EventMessage[] = []

function fetchText(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    // A new connection per request (no keep-alive), so each one is a new forwarded stream.
    httpRequest({ host: '127.0.0.1', port, path, timeout: 10_000, agent: false }, (res) => {
      let body = ''
      res.on('data', (d: Buffer) => (body += d))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
    })
      .on('error', reject)
      .on('timeout', function (this: { destroy(e: Error): void }) {
        this.destroy(new Error(`no answer through 127.0.0.1:${port}${path}`))
      })
      .end()
  })
}

async function call<T>(name: string, params?: unknown): Promise<Reply<T>> {
  return (await backend.request(name, params)) as Reply<T>
}

async function started(params: Record<string, unknown>): Promise<PortForwardStarted> {
  const r = await call<PortForwardStarted>('portforward.start', { cluster: 'c1', namespace: 'default', ...params })
  if (!r.ok) throw new Error(`portforward.start failed: ${r.error.code}: ${r.error.message}`)
  return r.value
}

const now = (): string => new Date().toISOString().replace(/\.\d+Z$/, 'Z')

async function runningPod(
  name: string,
  node: string,
  labels: Record<string, string>,
  ready: boolean,
  ports: { name: string; containerPort: number }[] = [],
): Promise<void> {
  await client.create(PODS, 'default', {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels },
    spec: { nodeName: node, containers: [{ name: 'app', image: 'busybox', ports }] },
  })
  await client.patch(
    PODS,
    'default',
    name,
    {
      status: {
        phase: 'Running',
        conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }],
        containerStatuses: [
          { name: 'app', ready, restartCount: 0, image: 'busybox', imageID: 'sha256:1', started: true, state: { running: { startedAt: now() } } },
        ],
      },
    },
    'merge',
    { subresource: 'status' },
  )
}

beforeAll(async () => {
  t = await startTestApiServer()
  client = createClient({ server: t.server.url, caPem: t.server.pki.ca.certPem, certPem: t.server.admin.certPem, keyPem: t.server.admin.keyPem })
  fake = await startFakeStreamingRuntime()
  const kcert = issueCert(t.server.pki.ca, { commonName: 'n1', server: true, ipAddresses: ['127.0.0.1'] })
  kubelet = await startKubeletServer({
    port: 0,
    host: '127.0.0.1',
    tls: { certPem: kcert.certPem, keyPem: kcert.keyPem, caPem: t.server.pki.ca.certPem },
    runtime: fake.runtime,
    log: () => {},
    followPollMs: 50,
  })

  // "The pod's port": a local web server.
  web = createHttpServer((req, res) =>
    res.writeHead(200, { 'Content-Type': 'text/plain' }).end(`hello from ${req.url} ${'x'.repeat(req.url === '/big' ? 300_000 : 5)}`),
  )
  webPort = await new Promise<number>((resolve) => web.listen(0, '127.0.0.1', () => resolve((web.address() as { port: number }).port)))

  await client.create(NODES, undefined, { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1' } })
  await client.patch(
    NODES,
    undefined,
    'n1',
    {
      status: {
        addresses: [{ type: 'InternalIP', address: '127.0.0.1' }],
        daemonEndpoints: { kubeletEndpoint: { Port: kubelet.port } },
        nodeInfo: { containerRuntimeVersion: 'containerd://1.6' },
      },
    },
    'merge',
    { subresource: 'status' },
  )
  await client.create(NODES, undefined, { apiVersion: 'v1', kind: 'Node', metadata: { name: 'hollow' } })
  await client.patch(NODES, undefined, 'hollow', { status: { nodeInfo: { containerRuntimeVersion: 'simulated://1.0' } } }, 'merge', { subresource: 'status' })

  await runningPod('web-a', 'n1', { app: 'web' }, true, [{ name: 'http', containerPort: webPort }])
  await runningPod('web-b', 'n1', { app: 'web' }, false)
  await runningPod('ghost', 'hollow', { app: 'ghost' }, true)
  await client.create(PODS, 'default', {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'pending' },
    spec: { containers: [{ name: 'app', image: 'busybox' }] },
  })
  await client.create(SERVICES, 'default', {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'web' },
    spec: {
      selector: { app: 'web' },
      ports: [
        { name: 'http', port: 80, targetPort: 'http' },
        { name: 'num', port: 81, targetPort: webPort },
      ],
    },
  })
  await client.create(SERVICES, 'default', {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'nobody' },
    spec: { selector: { app: 'none' }, ports: [{ port: 80 }] },
  })

  // The backend finds the cluster's kubeconfig under KUBELAB_HOME like any cluster's.
  home = mkdtempSync(join(tmpdir(), 'kubelab-pf-home-'))
  mkdirSync(join(home, 'clusters', 'c1'), { recursive: true })
  copyFileSync(t.kubeconfig, join(home, 'clusters', 'c1', 'kubeconfig'))
  backend = createBackend({ mode: 'browser', version: 'test', env: { ...process.env, KUBELAB_HOME: home } })
  backend.subscribe((m) => events.push(m as EventMessage))
})

afterAll(async () => {
  await backend?.close()
  await kubelet?.close()
  await fake?.close()
  web?.closeAllConnections()
  await new Promise<void>((r) => web?.close(() => r()))
  client?.close()
  await t?.close()
  if (home) rmSync(home, { recursive: true, force: true })
})

describe('portforward through the API server', () => {
  it('forwards a pod port: several requests, a large body, parallel connections', async () => {
    const pf = await started({ kind: 'pod', name: 'web-a', port: webPort })
    expect(pf.url).toBe(`http://127.0.0.1:${pf.localPort}/`)
    expect((await fetchText(pf.localPort, '/one')).body).toBe('hello from /one xxxxx')
    const big = await fetchText(pf.localPort, '/big')
    expect(big.body.length).toBe('hello from /big '.length + 300_000)
    const many = await Promise.all(['/p1', '/p2', '/p3', '/p4'].map((p) => fetchText(pf.localPort, p)))
    expect(many.map((r) => r.body)).toEqual(['/p1', '/p2', '/p3', '/p4'].map((p) => `hello from ${p} xxxxx`))
    const listed = await call<PortForwardInfo[]>('portforward.list')
    expect(listed.ok && listed.value.find((f) => f.id === pf.id)).toMatchObject({
      kind: 'pod',
      name: 'web-a',
      pod: 'web-a',
      podPort: webPort,
      localPort: pf.localPort,
      connections: 6,
    })
    expect(events.some((e) => e.name === 'portforward.changed')).toBe(true)
  })

  it('forwards a Service port to a ready pod, mapping a named target port', async () => {
    const pf = await started({ kind: 'service', name: 'web', port: 80 })
    expect((await fetchText(pf.localPort, '/svc')).body).toBe('hello from /svc xxxxx')
    const listed = await call<PortForwardInfo[]>('portforward.list')
    // web-b is not ready: the ready web-a is chosen.
    expect(listed.ok && listed.value.find((f) => f.id === pf.id)).toMatchObject({ kind: 'service', pod: 'web-a', podPort: webPort })
    const numeric = await started({ kind: 'service', name: 'web', port: 81 })
    expect((await fetchText(numeric.localPort, '/n')).body).toBe('hello from /n xxxxx')
  })

  it('uses the local port asked for, and says when it is taken', async () => {
    const free = await new Promise<number>((resolve) => {
      const s = createHttpServer()
      s.listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port
        s.close(() => resolve(p))
      })
    })
    const pf = await started({ kind: 'pod', name: 'web-a', port: webPort, localPort: free })
    expect(pf.localPort).toBe(free)
    const again = await call('portforward.start', { cluster: 'c1', namespace: 'default', kind: 'pod', name: 'web-a', port: webPort, localPort: free })
    expect(again.ok ? null : again.error.code).toBe('port_in_use')
  })

  it('stop closes the local port', async () => {
    const pf = await started({ kind: 'pod', name: 'web-a', port: webPort })
    expect((await fetchText(pf.localPort, '/before')).status).toBe(200)
    expect((await call('portforward.stop', { id: pf.id })).ok).toBe(true)
    await expect(fetchText(pf.localPort, '/after')).rejects.toThrow(/ECONNREFUSED/)
    const listed = await call<PortForwardInfo[]>('portforward.list')
    expect(listed.ok && listed.value.some((f) => f.id === pf.id)).toBe(false)
    const twice = await call('portforward.stop', { id: pf.id })
    expect(twice.ok ? null : twice.error.code).toBe('not_found')
  })

  it('reports a closed pod port on the connection, not as a dead tunnel', async () => {
    const closedPort = await new Promise<number>((resolve) => {
      const s = createHttpServer()
      s.listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port
        s.close(() => resolve(p))
      })
    })
    const pf = await started({ kind: 'pod', name: 'web-a', port: closedPort })
    await expect(fetchText(pf.localPort, '/x')).rejects.toThrow()
    const lastError = await until(
      "the forward's lastError set",
      async () => {
        const l = await call<PortForwardInfo[]>('portforward.list')
        return l.ok ? l.value.find((x) => x.id === pf.id)?.lastError : undefined
      },
      { timeoutMs: 2_000, intervalMs: 20 },
    )
    expect(lastError).toMatch(/ECONNREFUSED|refused/)
    // The forward still works for a port that listens: a fresh tunnel stream each time.
    expect((await fetchText((await started({ kind: 'pod', name: 'web-a', port: webPort })).localPort, '/ok')).status).toBe(200)
  })
})

describe('portforward errors are values', () => {
  it('a pod on a simulated node: the API server says why', async () => {
    const r = await call('portforward.start', { cluster: 'c1', namespace: 'default', kind: 'pod', name: 'ghost', port: 80 })
    expect(r.ok).toBe(false)
    if (r.ok) return
    expect(r.error.code).toBe('portforward_refused')
    expect(r.error.message).toContain('runs on simulated node hollow, which runs no containers')
  })

  it('missing pod, pending pod, missing service port, service without ready pods, bad params, unknown cluster', async () => {
    const codeOf = async (p: Record<string, unknown>): Promise<string> => {
      const r = await call('portforward.start', { cluster: 'c1', namespace: 'default', ...p })
      return r.ok ? 'ok' : `${r.error.code}: ${r.error.message}`
    }
    expect(await codeOf({ kind: 'pod', name: 'nope', port: 80 })).toMatch(/^not_found: no pod nope/)
    expect(await codeOf({ kind: 'pod', name: 'pending', port: 80 })).toMatch(/^pod_not_running: /)
    expect(await codeOf({ kind: 'service', name: 'web', port: 9999 })).toMatch(/^not_found: service web has no port 9999; its ports: 80, 81/)
    expect(await codeOf({ kind: 'service', name: 'nobody', port: 80 })).toMatch(/^no_ready_pod: /)
    expect(await codeOf({ kind: 'deployment', name: 'web', port: 80 })).toMatch(/^bad_params: .*kind/)
    expect(await codeOf({ kind: 'pod', name: 'web-a', port: 70000 })).toMatch(/^bad_params: .*port/)
    expect(await codeOf({ cluster: 'nope', kind: 'pod', name: 'web-a', port: 80 })).toMatch(/^not_running: /)
  })
})
