// The real kubectl through the API server's pods/log|exec|portforward handlers to the
// kubelet's streaming server, backed by a fake runtime that speaks containerd's streaming
// protocol (SPDY) and runs real local processes. The handlers are served by a small front
// in this test (the lead wires them into server.ts); everything else passes through to the
// in-process API server.
import { spawn as spawnChild } from 'node:child_process'
import { appendFileSync, writeFileSync } from 'node:fs'
import { createServer as createHttpServer, request as httpRequest, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http'
import { createServer as createHttpsServer, request as httpsRequest, type Server as HttpsServer } from 'node:https'
import { join } from 'node:path'
import type { Duplex } from 'node:stream'
import * as pty from 'node-pty'
import { parse, stringify } from 'yaml'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createAuthenticator, parseTokenFile } from '../../src-cluster/apiserver/auth'
import { issueCert } from '../../src-cluster/kit/pki'
import { handlePodLog, handleUpgrade } from '../../src-cluster/apiserver/proxy'
import { parseRequest } from '../../src-cluster/apiserver/request'
import { sendError } from '../../src-cluster/apiserver/respond'
import { createClient, resourceRef, type Client } from '../../src-cluster/client'
import { criLogTime, startKubeletServer, type KubeletServer } from '../../src-cluster/kubelet/server'
import { KUBECTL, startTestApiServer, type TestApiServer } from '../helpers/apiserver'
import { startFakeStreamingRuntime, type FakeStreamingRuntime } from '../helpers/fake-streaming-runtime'
import { readFileSync } from 'node:fs'
import { until as poll } from '../helpers/wait'

const NODES = resourceRef('v1', 'nodes')
const PODS = resourceRef('v1', 'pods')

let t: TestApiServer
let client: Client
let fake: FakeStreamingRuntime
let kubelet: KubeletServer
let front: HttpsServer
let web: HttpServer
let webPort = 0
let kubeconfig = ''
const logLines: string[] = []
/** "METHOD upgrade path" of every upgrade request kubectl made. */
const upgrades: string[] = []

const until = <T>(what: string, fn: () => T | Promise<T>, ms = 20_000) => poll(what, fn, { timeoutMs: ms, intervalMs: 50 })

function kubectl(args: string[], input?: string, env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawnChild(KUBECTL, ['--kubeconfig', kubeconfig, ...args], { env: { ...process.env, HOME: t.dir, ...env } })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => (stdout += d))
    child.stderr.on('data', (d: Buffer) => (stderr += d))
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }))
    if (input !== undefined) child.stdin.end(input)
    else child.stdin.end()
  })
}

/** Passes a request through to the real API server as the admin. */
function passThrough(req: IncomingMessage, res: ServerResponse): void {
  const u = new URL(t.server.url)
  const up = httpsRequest(
    {
      host: u.hostname,
      port: u.port,
      method: req.method,
      path: req.url,
      headers: { ...req.headers, host: u.host },
      ca: t.server.pki.ca.certPem,
      cert: t.server.admin.certPem,
      key: t.server.admin.keyPem,
    },
    (ur) => {
      res.writeHead(ur.statusCode ?? 502, ur.headers)
      ur.pipe(res)
    },
  )
  up.on('error', (e) => res.destroy(e))
  req.pipe(up)
}

beforeAll(async () => {
  t = await startTestApiServer()
  const ctx = t.server.context
  client = createClient({ server: t.server.url, caPem: t.server.pki.ca.certPem, certPem: t.server.admin.certPem, keyPem: t.server.admin.keyPem })
  fake = await startFakeStreamingRuntime()
  const kcert = issueCert(t.server.pki.ca, { commonName: 'n1', server: true, ipAddresses: ['127.0.0.1'] })
  kubelet = await startKubeletServer({
    port: 0,
    host: '127.0.0.1',
    tls: { certPem: kcert.certPem, keyPem: kcert.keyPem, caPem: t.server.pki.ca.certPem },
    runtime: fake.runtime,
    log: (l) => logLines.push(l),
    followPollMs: 50,
  })

  const auth = createAuthenticator({
    staticTokens: parseTokenFile(readFileSync(join(t.dir, 'data', 'tokens.csv'), 'utf8')),
    serviceAccountPubPem: t.server.pki.serviceAccountPubPem,
    now: () => new Date(),
    lookup: async () => undefined,
  })
  front = createHttpsServer({
    key: t.server.pki.serving.keyPem,
    cert: t.server.pki.serving.certPem,
    ca: [t.server.pki.ca.certPem],
    requestCert: true,
    rejectUnauthorized: false,
  })
  front.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'https://x')
    if (/\/pods\/[^/]+\/log$/.test(url.pathname)) {
      const r = parseRequest(req.method ?? 'GET', url.pathname, url.searchParams)
      if (r.type !== 'resource') throw new Error('bad path')
      handlePodLog(ctx, r, req, res, url.searchParams).catch((e: unknown) => sendError(req, res, e))
      return
    }
    passThrough(req, res)
  })
  front.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    upgrades.push(`${req.method} ${req.headers.upgrade} ${new URL(req.url ?? '/', 'https://x').pathname}`)
    void handleUpgrade(ctx, req, socket, head, () => auth.authenticate(req))
  })
  const frontPort = await new Promise<number>((resolve) => front.listen(0, '127.0.0.1', () => resolve((front.address() as { port: number }).port)))
  const kc = parse(readFileSync(t.kubeconfig, 'utf8')) as { clusters: { cluster: { server: string } }[] }
  kc.clusters[0]!.cluster.server = `https://127.0.0.1:${frontPort}`
  kubeconfig = join(t.dir, 'front.kubeconfig')
  writeFileSync(kubeconfig, stringify(kc))

  // A local web server the port-forward test reaches ("the pod's port").
  web = createHttpServer((req, res) =>
    res.writeHead(200, { 'Content-Type': 'text/plain' }).end(`hello from ${req.url} ` + 'x'.repeat(req.url === '/small' ? 10 : 200_000)),
  )
  webPort = await new Promise<number>((resolve) => web.listen(0, '127.0.0.1', () => resolve((web.address() as { port: number }).port)))

  await client.create(NODES, undefined, { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1' } })
  await client.patch(
    NODES,
    undefined,
    'n1',
    { status: { addresses: [{ type: 'InternalIP', address: '127.0.0.1' }], daemonEndpoints: { kubeletEndpoint: { Port: kubelet.port } } } },
    'merge',
    { subresource: 'status' },
  )
  const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z')
  for (const name of ['p1', 'p2']) {
    await client.create(PODS, 'default', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name },
      spec: { nodeName: 'n1', containers: [{ name: 'app', image: 'busybox' }] },
    })
  }
  await client.patch(
    PODS,
    'default',
    'p1',
    {
      status: {
        phase: 'Running',
        containerStatuses: [
          {
            name: 'app',
            ready: true,
            restartCount: 1,
            image: 'busybox',
            imageID: 'sha256:1',
            started: true,
            state: { running: { startedAt: now } },
            lastState: { terminated: { exitCode: 1, reason: 'Error', startedAt: now, finishedAt: now, containerID: 'containerd://old' } },
          },
        ],
      },
    },
    'merge',
    { subresource: 'status' },
  )
  await client.patch(
    PODS,
    'default',
    'p2',
    {
      status: {
        phase: 'Pending',
        containerStatuses: [{ name: 'app', ready: false, restartCount: 0, image: 'busybox', imageID: '', state: { waiting: { reason: 'ContainerCreating' } } }],
      },
    },
    'merge',
    { subresource: 'status' },
  )

  const logPath = join(t.dir, 'app-1.log')
  const prevPath = join(t.dir, 'app-0.log')
  const t0 = Date.now() - 60_000
  writeFileSync(prevPath, `${criLogTime(new Date(t0))} stdout F previous run\n`)
  writeFileSync(
    logPath,
    [
      `${criLogTime(new Date(t0), 1)} stdout F line one`,
      `${criLogTime(new Date(t0 + 1000))} stderr F line two`,
      `${criLogTime(new Date(t0 + 2000))} stdout P part-`,
      `${criLogTime(new Date(t0 + 2001))} stdout F three`,
      '',
    ].join('\n'),
  )
  fake.containers.set('default/p1/app', { logPath, previousLogPath: prevPath, running: true })
})

afterAll(async () => {
  await new Promise<void>((r) => front?.close(() => r()))
  front?.closeAllConnections()
  await kubelet?.close()
  await fake?.close()
  web?.closeAllConnections()
  await new Promise<void>((r) => web?.close(() => r()))
  await t?.close()
})

describe('kubectl logs through the kubelet', () => {
  it('prints the CRI log, joining partial lines', async () => {
    const r = await kubectl(['logs', 'p1'])
    expect(r.stderr).toBe('')
    expect(r.stdout).toBe('line one\nline two\npart-three\n')
  })

  it('--tail, --timestamps and --previous', async () => {
    expect((await kubectl(['logs', 'p1', '--tail=1'])).stdout).toBe('part-three\n')
    const ts = (await kubectl(['logs', 'p1', '--timestamps', '--tail=3'])).stdout.split('\n')
    expect(ts[0]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d*1Z line one$/)
    expect((await kubectl(['logs', 'p1', '--previous'])).stdout).toBe('previous run\n')
    expect((await kubectl(['logs', 'p1', '--since=10s'])).stdout).toBe('')
  })

  it('a waiting container answers as upstream does', async () => {
    const r = await kubectl(['logs', 'p2'])
    expect(r.code).toBe(1)
    expect(r.stderr).toContain('Error from server (BadRequest): container "app" in pod "p2" is waiting to start: ContainerCreating')
  })

  it('-f follows the file until the container stops', async () => {
    const child = spawnChild(KUBECTL, ['--kubeconfig', kubeconfig, 'logs', '-f', 'p1', '--tail=1'], { env: { ...process.env, HOME: t.dir } })
    let out = ''
    child.stdout.on('data', (d: Buffer) => (out += d))
    const exited = new Promise<number>((resolve) => child.on('close', (c) => resolve(c ?? 1)))
    await until('the first line', () => out.includes('part-three'))
    appendFileSync(fake.containers.get('default/p1/app')!.logPath, `${criLogTime(new Date())} stdout F appended later\n`)
    await until('the appended line', () => out.includes('appended later'))
    fake.containers.get('default/p1/app')!.running = false
    expect(await exited).toBe(0)
    expect(out).toBe('part-three\nappended later\n')
    fake.containers.get('default/p1/app')!.running = true
  })
})

describe('kubectl exec through the kubelet', () => {
  it('returns the exit code of the command', async () => {
    upgrades.length = 0
    const r = await kubectl(['exec', 'p1', '--', 'sh', '-c', 'echo out; echo err >&2; exit 7'])
    expect(r.code).toBe(7)
    expect(r.stdout).toBe('out\n')
    expect(r.stderr).toContain('err\n')
    expect(r.stderr).toContain('command terminated with exit code 7')
    // v5 from kubectl, SPDY v4 toward the runtime.
    expect(fake.negotiated.at(-1)).toBe('v4.channel.k8s.io')
    expect(upgrades).toEqual(['GET websocket /api/v1/namespaces/default/pods/p1/exec'])
  })

  it('delivers end of stdin: echo hi | kubectl exec -i p1 -- cat', async () => {
    const r = await kubectl(['exec', '-i', 'p1', '--', 'cat'], 'hi\n')
    expect(r).toMatchObject({ code: 0, stdout: 'hi\n' })
  })

  it('works over the SPDY fallback too', async () => {
    const r = await kubectl(['exec', '-i', 'p1', '--', 'sh', '-c', 'cat; exit 3'], 'via spdy\n', { KUBECTL_REMOTE_COMMAND_WEBSOCKETS: 'false' })
    expect(r.stdout).toBe('via spdy\n')
    expect(r.code).toBe(3)
  })

  it('runs a shell with a TTY (-it) and returns its exit code', async () => {
    const term = pty.spawn(KUBECTL, ['--kubeconfig', kubeconfig, 'exec', '-it', 'p1', '--', 'sh'], {
      cols: 100,
      rows: 30,
      env: { ...process.env, HOME: t.dir, TERM: 'xterm' } as Record<string, string>,
    })
    let out = ''
    term.onData((d) => (out += d))
    const exited = new Promise<number>((resolve) => term.onExit(({ exitCode }) => resolve(exitCode)))
    await until('the shell prompt', () => out.includes('$ '))
    term.write('echo $((6*7)) $(stty size)\r')
    await until('the answer', () => /42 30 100/.test(out))
    term.write('exit 4\r')
    expect(await exited).toBe(4)
  })

  it('a container that is not running is refused as upstream does', async () => {
    const r = await kubectl(['exec', 'p2', '--', 'true'])
    expect(r.code).toBe(1)
    expect(r.stderr).toContain('container not found ("app")')
  })
})

describe('kubectl port-forward through the kubelet', () => {
  for (const mode of ['websocket', 'spdy'] as const) {
    it(`serves an HTTP request (${mode})`, async () => {
      upgrades.length = 0
      const child = spawnChild(KUBECTL, ['--kubeconfig', kubeconfig, 'port-forward', 'pod/p1', `:${webPort}`], {
        env: { ...process.env, HOME: t.dir, ...(mode === 'spdy' ? { KUBECTL_PORT_FORWARD_WEBSOCKETS: 'false' } : {}) },
      })
      let out = ''
      child.stdout.on('data', (d: Buffer) => (out += d))
      child.stderr.on('data', (d: Buffer) => (out += d))
      try {
        const local = Number((await until('the local port', () => /Forwarding from 127\.0\.0\.1:(\d+)/.exec(out) ?? undefined))[1])
        for (const path of ['/small', '/a', '/b']) {
          const body = await new Promise<string>((resolve, reject) => {
            httpRequest({ host: '127.0.0.1', port: local, path, timeout: 8000 }, (res) => {
              let b = ''
              res.on('data', (d: Buffer) => (b += d))
              res.on('end', () => resolve(b))
            })
              .on('error', reject)
              .on('timeout', () =>
                reject(new Error(`no answer through the forwarded port for ${path}; kubectl said: ${out}; kubelet log: ${logLines.join(' | ')}`)),
              )
              .end()
          })
          expect(body.startsWith(`hello from ${path} `)).toBe(true)
          expect(body.length).toBe(`hello from ${path} `.length + (path === '/small' ? 10 : 200_000))
        }
        // The WebSocket tunnel really carried it (no fallback to a SPDY POST).
        expect(upgrades).toEqual([
          mode === 'websocket'
            ? 'GET websocket /api/v1/namespaces/default/pods/p1/portforward'
            : 'POST SPDY/3.1 /api/v1/namespaces/default/pods/p1/portforward',
        ])
      } finally {
        child.kill()
      }
    })
  }
})
