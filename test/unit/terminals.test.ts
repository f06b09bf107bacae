// Terminals in the backend: a real host shell through node-pty with KUBECONFIG set, and pod
// exec against a stand-in API server speaking the v5 channel protocol (and one without exec).
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { WebSocketServer } from 'ws'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { EventMessage } from '../../src-main/contract'
import { TerminalService } from '../../src-main/backend/terminals/service'
import { ClusterManager } from '../../src-main/clusters'
import { execPath, openPodExec } from '../../src-main/backend/terminals/pod'
import { hostShellEnv } from '../../src-main/backend/terminals/host'
import { CodedError } from '../../src-main/contract/errors'
import { newProgress, ProgressStore } from '../../src-main/lab-runner/progress'

let home: string
beforeEach(async () => {
  home = await mkdtemp(join(tmpdir(), 'kubelab-term-'))
})
afterEach(async () => {
  await rm(home, { recursive: true, force: true })
})

function until<T>(get: () => T | undefined, what: string, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms
  return new Promise((resolve, reject) => {
    const tick = (): void => {
      const v = get()
      if (v !== undefined) return resolve(v)
      if (Date.now() > deadline) return reject(new Error(`gave up waiting for ${what}`))
      setTimeout(tick, 20)
    }
    tick()
  })
}

describe('host terminal', () => {
  it('runs a shell with KUBECONFIG pointing at the cluster, in order: connected, output, closed', async () => {
    const dir = join(home, 'clusters', 'lab')
    await mkdir(dir, { recursive: true })
    await writeFile(join(dir, 'kubeconfig'), 'apiVersion: v1\nkind: Config\n')
    const events: EventMessage[] = []
    const terms = new TerminalService({
      env: { ...process.env, SHELL: '/bin/sh', HOME: home },
      manager: new ClusterManager({ env: { KUBELAB_HOME: home } }),
      publish: (m) => events.push(m),
    })
    const info = terms.openHost({ cluster: 'lab', cols: 80, rows: 24 })
    expect(info).toMatchObject({ kind: 'host', state: 'connecting' })
    terms.input(info.id, 'echo "KC=$KUBECONFIG"; exit 3\r')
    await until(() => events.find((e) => e.name === 'terminals.state' && e.payload.state === 'closed'), 'the shell to exit')
    const out = events.flatMap((e) => (e.name === 'terminals.output' ? [e.payload.data] : [])).join('')
    expect(out).toContain(`KC=${join(dir, 'kubeconfig')}`)
    const states = events.flatMap((e) => (e.name === 'terminals.state' ? [e.payload] : []))
    expect(states.map((s) => s.state)).toEqual(['connected', 'closed'])
    expect(states[1]!.exitCode).toBe(3)
    expect(() => terms.input(info.id, 'x')).toThrow(/closed/)
    terms.closeAll()
  })

  it('exports the variables of the lab started on the cluster (echo $KUBELAB_NODE_W1)', async () => {
    const dir = join(home, 'clusters', 'lab')
    await mkdir(dir, { recursive: true })
    await writeFile(join(dir, 'kubeconfig'), 'apiVersion: v1\nkind: Config\n')
    const store = new ProgressStore(join(dir, 'labs'))
    store.write({ ...newProgress('node-labels', 'lab'), vars: { KUBELAB_NODE_W1: 'node-1', KUBELAB_CLUSTER: 'lab' } })
    store.setActive('node-labels')
    const events: EventMessage[] = []
    const terms = new TerminalService({
      env: { ...process.env, SHELL: '/bin/sh', HOME: home },
      manager: new ClusterManager({ env: { KUBELAB_HOME: home } }),
      publish: (m) => events.push(m),
    })
    const info = terms.openHost({ cluster: 'lab', cols: 80, rows: 24 })
    terms.input(info.id, 'echo "W1=$KUBELAB_NODE_W1"; exit 0\r')
    await until(() => events.find((e) => e.name === 'terminals.state' && e.payload.state === 'closed'), 'the shell to exit')
    expect(events.flatMap((e) => (e.name === 'terminals.output' ? [e.payload.data] : [])).join('')).toContain('W1=node-1')
    terms.closeAll()
  })

  it('refuses a cluster without a kubeconfig with an error value code', () => {
    const terms = new TerminalService({ env: process.env, manager: new ClusterManager({ env: { KUBELAB_HOME: home } }), publish: () => {} })
    expect(() => terms.openHost({ cluster: 'ghost', cols: 80, rows: 24 })).toThrow(CodedError)
    try {
      terms.openHost({ cluster: 'ghost', cols: 80, rows: 24 })
    } catch (e) {
      expect((e as CodedError).code).toBe('not_running')
    }
    expect(hostShellEnv({ PATH: '/bin' }, '/k')).toMatchObject({ PATH: '/bin', KUBECONFIG: '/k', TERM: 'xterm-256color' })
  })
})

describe('pod exec', () => {
  let server: Server
  let base: string
  let execServed = true
  const seen: string[] = []

  beforeEach(async () => {
    seen.length = 0
    server = createServer((req, res) => {
      if (req.url === '/api/v1') {
        const resources = [{ name: 'pods' }, ...(execServed ? [{ name: 'pods/exec' }] : [])]
        res.writeHead(200, { 'Content-Type': 'application/json' })
        res.end(JSON.stringify({ kind: 'APIResourceList', resources }))
      } else {
        res.writeHead(404)
        res.end()
      }
    })
    const wss = new WebSocketServer({ server, handleProtocols: (p) => (p.has('v5.channel.k8s.io') ? 'v5.channel.k8s.io' : false) })
    wss.on('connection', (ws, req) => {
      seen.push(req.url ?? '')
      ws.on('message', (data: Buffer) => {
        const ch = data[0]
        const body = data.subarray(1).toString()
        if (ch === 4) seen.push(`resize ${body.trim()}`)
        if (ch === 0) {
          ws.send(Buffer.concat([Buffer.from([1]), Buffer.from(`you said ${body}`)]))
          ws.send(
            Buffer.concat([
              Buffer.from([3]),
              Buffer.from(
                JSON.stringify({ metadata: {}, status: 'Failure', reason: 'NonZeroExitCode', details: { causes: [{ reason: 'ExitCode', message: '7' }] } }),
              ),
            ]),
          )
          ws.close()
        }
      })
    })
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  })
  afterEach(async () => {
    server.closeAllConnections()
    await new Promise<void>((r) => server.close(() => r()))
    execServed = true
  })

  it('speaks the channel protocol: resize first, stdin in, stdout out, exit code from the error channel', async () => {
    const data: string[] = []
    let exit: [number | null, string] | undefined
    let opened = false
    const target = { namespace: 'default', pod: 'web-1', container: 'app', command: ['sh', '-c', 'echo hi'], cols: 90, rows: 20 }
    const s = await openPodExec({ server: base, caPem: '' }, target, {
      onOpen: () => (opened = true),
      onData: (d) => data.push(d),
      onExit: (code, reason) => (exit = [code, reason]),
    })
    await until(() => (opened ? true : undefined), 'the exec to connect')
    s.write('ls\r')
    await until(() => exit, 'the exec to end')
    expect(data.join('')).toBe('you said ls\r')
    expect(exit![0]).toBe(7)
    expect(seen[0]).toBe(execPath(target))
    expect(seen[0]).toContain('command=sh&command=-c&command=echo+hi')
    expect(seen[1]).toBe('resize {"Width":90,"Height":20}')
  })

  it('answers exec_unavailable when the API server does not serve pods/exec', async () => {
    execServed = false
    const p = openPodExec(
      { server: base, caPem: '' },
      { namespace: 'd', pod: 'p', container: null, command: ['sh'], cols: 80, rows: 24 },
      { onOpen() {}, onData() {}, onExit() {} },
    )
    await expect(p).rejects.toMatchObject({ code: 'exec_unavailable' })
  })
})
