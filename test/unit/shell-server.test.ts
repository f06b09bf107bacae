// Browser mode: the static server, the WebSocket adapter, and the renderer's WebSocket client
// talking to it for real over 127.0.0.1.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { createBackend, type Backend } from '../../src-main/backend'
import type { WireEvent } from '../../src-main/contract'
import { isAllowedRequest, startServer, type RunningServer } from '../../src-main/server'
import { createWsBridge } from '../../src-renderer/src/ws-bridge'

let dir: string
let home: string
let server: RunningServer
let backend: Backend

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kubelab-server-'))
  const renderer = join(dir, 'renderer')
  home = join(dir, 'home')
  await mkdir(join(renderer, 'assets'), { recursive: true })
  await writeFile(join(renderer, 'index.html'), '<!doctype html><title>KubeLab test</title>')
  await writeFile(join(renderer, 'assets', 'app-1234.js'), 'console.log(1)')
  await writeFile(join(dir, 'secret.txt'), 'must not be served')
  await mkdir(join(home, 'clusters', 'demo'), { recursive: true })
  await writeFile(join(home, 'clusters', 'demo', 'cluster.json'), JSON.stringify({ provider: 'simulated' }))
  backend = createBackend({ mode: 'browser', version: '0.0.1', env: { KUBELAB_HOME: home } })
  server = await startServer({ backend, rendererDir: renderer, port: 0 })
})

afterAll(async () => {
  await server?.close()
  await rm(dir, { recursive: true, force: true })
})

/** The cookie a browser holds after opening the launch URL. */
const cookie = (s: RunningServer = server): string => `kubelab-token-${s.port}=${encodeURIComponent(s.token)}`

function connect(headers: Record<string, string> = { Origin: server.url.slice(0, -1), Cookie: cookie() }): WebSocket {
  return new WebSocket(`${server.url.replace('http', 'ws')}rpc`, { headers })
}

function opened(ws: WebSocket): Promise<void> {
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve())
    ws.once('error', reject)
  })
}

describe('static files', () => {
  it('serves index.html and hashed assets from the renderer folder only', async () => {
    const index = await fetch(server.url, { headers: { cookie: cookie() } })
    expect(index.status).toBe(200)
    expect(index.headers.get('content-type')).toContain('text/html')
    expect(index.headers.get('content-security-policy')).toContain("default-src 'self'")
    expect(await index.text()).toContain('KubeLab test')

    const asset = await fetch(`${server.url}assets/app-1234.js`)
    expect(asset.headers.get('content-type')).toContain('text/javascript')
    expect(asset.headers.get('cache-control')).toContain('immutable')

    expect((await fetch(`${server.url}..%2fsecret.txt`)).status).toBe(404)
    expect((await fetch(`${server.url}%2e%2e/secret.txt`)).status).toBe(404)
    expect((await fetch(`${server.url}nope.js`)).status).toBe(404)
    expect((await fetch(server.url, { method: 'POST', headers: { cookie: cookie() } })).status).toBe(405)
  })

  it('trades the launch token for a cookie, and serves the app page only with it', async () => {
    expect(server.launchUrl).toBe(`${server.url}?token=${encodeURIComponent(server.token)}`)
    const launch = await fetch(server.launchUrl, { redirect: 'manual' })
    expect(launch.status).toBe(303)
    expect(launch.headers.get('location')).toBe('/')
    expect(launch.headers.get('set-cookie')).toBe(`${cookie()}; HttpOnly; SameSite=Strict; Path=/`)
    const bare = await fetch(server.url)
    expect(bare.status).toBe(401)
    expect(await bare.text()).toContain('open the URL that `kubelab serve` (or `npm start`) printed')
    expect((await fetch(`${server.url}?token=wrong`, { redirect: 'manual' })).status).toBe(401)
    expect((await fetch(`${server.url}index.html`, { headers: { cookie: `kubelab-token-${server.port}=wrong` } })).status).toBe(401)
  })

  it('refuses to start without a built renderer and names the fix', async () => {
    await expect(startServer({ backend, rendererDir: join(dir, 'missing'), port: 0 })).rejects.toThrow(/npm run build/)
  })

  it('explains a busy port', async () => {
    await expect(startServer({ backend, rendererDir: join(dir, 'renderer'), port: server.port })).rejects.toThrow(/already in use; pass --port/)
  })
})

describe('WebSocket /rpc', () => {
  it('answers requests with reply frames', async () => {
    const ws = connect()
    await opened(ws)
    const reply = new Promise<unknown>((resolve) => ws.once('message', (d) => resolve(JSON.parse(d.toString()))))
    ws.send(JSON.stringify({ type: 'request', id: 7, name: 'clusters.list' }))
    expect(await reply).toMatchObject({ type: 'reply', id: 7, reply: { ok: true, value: [{ name: 'demo' }] } })
    ws.close()
  })

  it('rejects upgrades from another origin or a foreign Host (DNS rebinding)', async () => {
    const cross = connect({ Origin: 'http://evil.example' })
    await expect(opened(cross)).rejects.toThrow(/403/)
    const noOrigin = connect({})
    await expect(opened(noOrigin)).rejects.toThrow(/403/)
    expect(isAllowedRequest({ headers: { host: 'evil.example:80', origin: 'http://evil.example:80' } }, '127.0.0.1', 80)).toBe(false)
    expect(isAllowedRequest({ headers: { host: 'localhost:4780', origin: 'http://localhost:4780' } }, '127.0.0.1', 4780)).toBe(true)
    expect(isAllowedRequest({ headers: { host: 'localhost', origin: 'http://localhost' } }, '127.0.0.1', 80)).toBe(true)
    expect(isAllowedRequest({ headers: { host: 'localhost:4780', origin: 'http://localhost:4781' } }, '127.0.0.1', 4780)).toBe(false)
  })

  it('a local program with matching Origin and Host but without the secret gets nothing', async () => {
    const origin = server.url.slice(0, -1)
    await expect(opened(connect({ Origin: origin }))).rejects.toThrow(/403/)
    await expect(opened(connect({ Origin: origin, Cookie: `kubelab-token-${server.port}=guess` }))).rejects.toThrow(/403/)
    // Another KubeLab's cookie (another port) does not open this one.
    await expect(opened(connect({ Origin: origin, Cookie: `kubelab-token-${server.port + 1}=${encodeURIComponent(server.token)}` }))).rejects.toThrow(/403/)
    // A program given the launch URL may use the token as a query parameter.
    const withQuery = new WebSocket(`${server.url.replace('http', 'ws')}rpc?token=${encodeURIComponent(server.token)}`, { headers: { Origin: origin } })
    await opened(withQuery)
    withQuery.close()
  })

  it('closes the connection on a malformed frame', async () => {
    const ws = connect()
    await opened(ws)
    const code = new Promise<number>((resolve) => ws.once('close', (c) => resolve(c)))
    ws.send('not json')
    expect(await code).toBe(1007)
  })

  it('queues backend events per connection until the page says ready', async () => {
    // No event exists in the contract yet, so a stand-in backend publishes a raw wire event.
    const listeners = new Set<(m: WireEvent) => void>()
    const fake: Backend = {
      request: backend.request,
      subscribe: (l) => {
        listeners.add(l)
        return () => listeners.delete(l)
      },
      publish: () => undefined,
      close: async () => undefined,
    }
    const other = await startServer({ backend: fake, rendererDir: join(dir, 'renderer'), port: 0 })
    try {
      const ws = new WebSocket(`${other.url.replace('http', 'ws')}rpc`, { headers: { Origin: other.url.slice(0, -1), Cookie: cookie(other) } })
      await opened(ws)
      const frames: unknown[] = []
      ws.on('message', (d) => frames.push(JSON.parse(d.toString())))
      for (const l of listeners) l({ name: 'demo.tick', payload: 1 })
      // A request/reply round trip proves the earlier event was held back, not merely slow.
      ws.send(JSON.stringify({ type: 'request', id: 1, name: 'app.info' }))
      await new Promise<void>((resolve) => ws.once('message', () => resolve()))
      expect(frames).toEqual([expect.objectContaining({ type: 'reply', id: 1 })])
      ws.send(JSON.stringify({ type: 'ready' }))
      await new Promise<void>((resolve) => ws.once('message', () => resolve()))
      expect(frames[1]).toEqual({ type: 'event', name: 'demo.tick', payload: 1 })
      ws.close()
    } finally {
      await other.close()
    }
  })
})

describe('renderer WebSocket client', () => {
  const socketFactory = (url: string) =>
    new WebSocket(url, { headers: { Origin: server.url.slice(0, -1), Cookie: cookie() } }) as unknown as globalThis.WebSocket

  it('speaks the contract to the server', async () => {
    const bridge = createWsBridge(`${server.url.replace('http', 'ws')}rpc`, { createSocket: socketFactory })
    const info = await bridge.request('app.info')
    expect(info).toEqual({
      ok: true,
      value: { version: '0.0.1', platform: process.platform, node: process.version, mode: 'browser' },
    })
    const list = await bridge.request('clusters.list')
    expect(list.ok && list.value.map((c) => c.name)).toEqual(['demo'])
    bridge.close()
    expect(await bridge.request('app.info')).toMatchObject({ ok: false, error: { code: 'closed' } })
  })

  it('fails pending requests with an error value when the connection is refused', async () => {
    const bridge = createWsBridge('ws://127.0.0.1:9/rpc', {
      createSocket: socketFactory,
      maxReconnectDelayMs: 60_000,
    })
    const reply = await bridge.request('app.info')
    expect(reply).toMatchObject({ ok: false, error: { code: 'disconnected' } })
    bridge.close()
  })
})
