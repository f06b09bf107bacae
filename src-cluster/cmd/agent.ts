// `kubelab-node agent`: the node's agents — kubelet, proxy, netpol, ingress, dns, and on a
// control-plane node the API server, scheduler and controller manager — in ONE process (k3s's
// shape): one Node.js runtime instead of eight, and the informers of the parts that use the same
// kubeconfig listed and watched once. Each part is the same component as
// `kubelab-node <part>` and keeps its flags, its client (its user agent names its writes) and
// its own start and stop, so labs can still stop one: the control socket takes
// `POST /parts/NAME/stop|start` (the supervisor's `ctl`, or `kubelab-node agent-ctl` from a
// systemd unit), and a part held stopped leaves a mark in --stopped-dir, so an agent that
// restarts keeps it stopped.
import { createServer, request, type Server } from 'node:http'
import { existsSync, mkdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { createClient, InformerFactory, loadKubeconfig, withUserAgent, type ClosableClient } from '../client'
import type { Client } from '../client/types'
import { apiserver } from './apiserver'
import { API_SOCKETS, defineComponent, parseFlags, startComponent, type Component, type RunContext, type Stop } from './component'
import { controllerManager } from './controller-manager'
import { dns } from './dns'
import { ingress } from './ingress'
import { kubelet } from './kubelet'
import { netpol } from './netpol'
import { proxy } from './proxy'
import { scheduler } from './scheduler'

/** The components the agent can run, in start order. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const AGENT_PARTS: readonly Component<any>[] = [apiserver, scheduler, controllerManager, kubelet, proxy, netpol, ingress, dns]

/** The part the others reach the API through, when this agent runs it (a control-plane node). */
const API_PART = 'apiserver'

export interface AgentPartConfig {
  readonly name: string
  readonly args: readonly string[]
}

/** What one agent process runs: --config FILE holds `{ "parts": [{ "name": "kubelet", "args": [...] }, ...] }`. */
export interface AgentConfig {
  readonly parts: readonly AgentPartConfig[]
}

type PartState = 'stopped' | 'starting' | 'running' | 'stopping'

interface Part {
  readonly name: string
  readonly component: Component<any> // eslint-disable-line @typescript-eslint/no-explicit-any
  readonly args: readonly string[]
  state: PartState
  wanted: boolean
  stop?: Stop
  retry?: NodeJS.Timeout
  backoffMs: number
  /** Settles when the current start or stop is over. */
  busy: Promise<void>
  lastError?: string
}

export interface RunningAgent {
  /** Part name → state, and whether it is held stopped. */
  status(): Record<string, { state: PartState; wanted: boolean; error?: string }>
  startPart(name: string): Promise<void>
  stopPart(name: string): Promise<void>
  stop(): Promise<void>
}

/**
 * Runs the parts in this process with shared informers per kubeconfig file; parts marked in
 * `stoppedDir` stay stopped. Returns at once, the parts starting; a part that fails to start is
 * tried again (1 s, doubling to 30 s), as the supervisor or systemd restarted a component
 * process that exited.
 */
export async function startAgent(opts: { config: AgentConfig; stoppedDir?: string; log?: (line: string) => void }): Promise<RunningAgent> {
  const log = opts.log ?? ((l: string) => console.log(l))
  const known = new Map(AGENT_PARTS.map((c) => [c.name, c]))
  const parts = new Map<string, Part>()
  for (const p of opts.config.parts) {
    const component = known.get(p.name)
    if (!component) throw new Error(`agent: no part ${JSON.stringify(p.name)} (parts: ${[...known.keys()].join(', ')})`)
    if (parts.has(p.name)) throw new Error(`agent: part ${p.name} is listed twice`)
    // Flag mistakes show at once, not at the first start.
    parseFlags(component, [...p.args])
    parts.set(p.name, { name: p.name, component, args: p.args, state: 'stopped', wanted: false, backoffMs: 1000, busy: Promise.resolve() })
  }
  // Per identity (a kubeconfig file's server and credentials, read again at each part's start
  // so that a part started again sees an edited file, as a restarted process would): one pool
  // of connections, which every part using it shares through a client of its own (its user
  // agent names its writes), and one informer factory, so what several parts watch is listed
  // and watched once.
  const identityOf = new WeakMap<Client, string>()
  const shared = new Map<string, { client: ClosableClient; informers: InformerFactory }>()
  const forIdentity = (file: string): { key: string; client: ClosableClient; informers: InformerFactory } => {
    const cfg = loadKubeconfig(file)
    const key = JSON.stringify([cfg.server, cfg.caPem, cfg.certPem, cfg.keyPem, cfg.token])
    let s = shared.get(key)
    if (!s) {
      const client = createClient({ ...cfg, userAgent: 'kubelab-agent', maxSockets: API_SOCKETS })
      s = { client, informers: new InformerFactory(client, { log }) }
      shared.set(key, s)
    }
    return { key, ...s }
  }
  const sharedContext = {
    client(file: string, userAgent: string) {
      const { key, client } = forIdentity(file)
      const c = withUserAgent(client, userAgent)
      identityOf.set(c, key)
      return c
    },
    informers(client: Client) {
      const key = identityOf.get(client)
      return key ? shared.get(key)?.informers : undefined
    },
  }
  /** What a part's run gets: the shared clients and informers; its exit restarts only it. */
  const contextOf = (p: Part): RunContext => ({
    ...sharedContext,
    exit(reason) {
      log(`agent: ${reason}; starting ${p.name} again in ${p.backoffMs / 1000}s (the process and its other parts go on)`)
      if (p.state !== 'running' || !p.wanted) return
      p.busy = p.busy.then(async () => {
        await doStop(p)
        if (p.wanted) retryLater(p)
      })
    },
  })
  const mark = (name: string): string | undefined => (opts.stoppedDir ? join(opts.stoppedDir, name) : undefined)
  const held = (name: string): boolean => {
    const m = mark(name)
    return m !== undefined && existsSync(m)
  }

  const doStart = async (p: Part): Promise<void> => {
    if (!p.wanted || p.state === 'running') return
    p.state = 'starting'
    try {
      const values = parseFlags(p.component, [...p.args])
      const stop = await startComponent(p.component, values, contextOf(p))
      p.stop = stop ?? undefined
      p.backoffMs = 1000
      p.lastError = undefined
      p.state = 'running'
      if (!p.wanted) await doStop(p)
      else if (p.name === API_PART) retryNow()
    } catch (e) {
      p.state = 'stopped'
      p.lastError = e instanceof Error ? e.message : String(e)
      log(`agent: ${p.name} did not start: ${p.lastError}; trying again in ${p.backoffMs / 1000}s`)
      if (p.wanted) retryLater(p)
    }
  }
  const retryLater = (p: Part): void => {
    clearTimeout(p.retry)
    p.retry = setTimeout(() => {
      p.retry = undefined
      p.busy = p.busy.then(() => doStart(p))
    }, p.backoffMs)
    p.backoffMs = Math.min(p.backoffMs * 2, 30_000)
  }
  /** The API server part came up: the parts waiting to try again (they could not reach it) try now. */
  const retryNow = (): void => {
    for (const q of parts.values()) {
      if (!q.retry || !q.wanted) continue
      clearTimeout(q.retry)
      q.retry = undefined
      q.backoffMs = 1000
      q.busy = q.busy.then(() => doStart(q))
    }
  }
  const doStop = async (p: Part): Promise<void> => {
    clearTimeout(p.retry)
    p.retry = undefined
    if (p.state !== 'running') return
    p.state = 'stopping'
    try {
      await p.stop?.()
    } catch (e) {
      log(`agent: ${p.name} did not stop cleanly: ${e instanceof Error ? e.message : String(e)}`)
    } finally {
      p.stop = undefined
      p.state = 'stopped'
    }
  }
  const part = (name: string): Part => {
    const p = parts.get(name)
    if (!p) throw new Error(`this agent runs no part ${name}; it runs: ${[...parts.keys()].join(', ')}`)
    return p
  }
  /** Resolves when `p` settles, or after `ms` (a start that waits for the API server can take long). */
  const settled = (p: Part, ms: number): Promise<void> =>
    new Promise<void>((done) => {
      const t = setTimeout(done, ms)
      void p.busy.then(() => {
        clearTimeout(t)
        done()
      })
    })
  const agent: RunningAgent = {
    status() {
      return Object.fromEntries([...parts.values()].map((p) => [p.name, { state: p.state, wanted: p.wanted, ...(p.lastError ? { error: p.lastError } : {}) }]))
    },
    async startPart(name) {
      const p = part(name)
      const m = mark(name)
      if (m) rmSync(m, { force: true })
      if (p.wanted && p.state === 'starting') return
      if (!p.wanted) log(`agent: starting ${name}`)
      p.wanted = true
      p.backoffMs = 1000
      clearTimeout(p.retry)
      p.retry = undefined
      p.busy = p.busy.then(() => doStart(p))
      // Answers after the first attempt (bounded): a part that could not start yet (the API
      // server not up) is tried again, as systemd or the supervisor restarted a component process.
      await settled(p, 10_000)
    },
    async stopPart(name) {
      const p = part(name)
      const m = mark(name)
      if (m) {
        mkdirSync(dirname(m), { recursive: true })
        writeFileSync(m, `${new Date().toISOString()}\n`)
      }
      if (p.wanted) log(`agent: stopping ${name}`)
      p.wanted = false
      clearTimeout(p.retry)
      p.retry = undefined
      // A start under way (waiting for the API server) stops the part when it ends (doStart).
      if (p.state === 'starting') return
      p.busy = p.busy.then(() => doStop(p))
      await p.busy
    },
    async stop() {
      for (const p of parts.values()) {
        p.wanted = false
        clearTimeout(p.retry)
      }
      // All at once (each within its own bound), as the supervisor stops components; a start
      // still waiting for the API server is left to the process exit. The API server part goes
      // last: the others still use it while they stop (a scheduler or controller manager
      // releases its lease for a fast handover, DNS removes its endpoint).
      const stopAll = (list: Part[], ms: number): Promise<unknown> =>
        Promise.all(
          list
            .filter((p) => p.state !== 'starting')
            .map((p) => {
              p.busy = p.busy.then(() => doStop(p))
              return settled(p, ms)
            }),
        )
      await stopAll(
        [...parts.values()].filter((p) => p.name !== API_PART),
        8_000,
      )
      await stopAll(
        [...parts.values()].filter((p) => p.name === API_PART),
        5_000,
      )
      for (const s of shared.values()) {
        s.informers.stopAll()
        s.client.close()
      }
      shared.clear()
    },
  }
  // Every part starts at once: one that waits (for containerd) holds up no other. Only when this
  // agent runs the API server do the others wait for its first attempt (bounded), rather than
  // fail to reach it and back off; one that still fails is tried again as soon as it is up.
  const api = parts.get(API_PART)
  let apiFirst: Promise<void> = Promise.resolve()
  if (api && !held(API_PART)) {
    api.wanted = true
    api.busy = doStart(api)
    apiFirst = settled(api, 30_000)
  }
  for (const p of parts.values()) {
    if (held(p.name)) {
      log(`agent: ${p.name} held stopped (${mark(p.name)})`)
      continue
    }
    if (p === api) continue
    p.wanted = true
    p.busy = apiFirst.then(() => (p.wanted ? doStart(p) : undefined))
  }
  return agent
}

/** Serves the agent's control API on a unix socket (GET /parts, POST /parts/NAME/start|stop). */
export async function serveAgentControl(agent: RunningAgent, socketPath: string): Promise<Server> {
  mkdirSync(dirname(socketPath), { recursive: true })
  rmSync(socketPath, { force: true })
  const server = createServer((req, res) => {
    const reply = (code: number, body: unknown): void => {
      res.writeHead(code, { 'Content-Type': 'application/json' })
      res.end(`${JSON.stringify(body)}\n`)
    }
    const m = /^\/parts\/([a-z-]+)\/(start|stop)$/.exec(req.url ?? '')
    if (req.method === 'GET' && req.url === '/parts') return reply(200, agent.status())
    if (req.method === 'POST' && m) {
      const [, name, action] = m
      ;(action === 'start' ? agent.startPart(name!) : agent.stopPart(name!)).then(
        () => reply(200, agent.status()[name!]),
        (e: unknown) => reply(409, { error: e instanceof Error ? e.message : String(e) }),
      )
      return
    }
    reply(404, { error: 'GET /parts, POST /parts/NAME/start or POST /parts/NAME/stop' })
  })
  await new Promise<void>((ok, fail) => {
    server.once('error', fail)
    server.listen(socketPath, () => ok())
  })
  return server
}

export const agent = defineComponent({
  name: 'agent',
  about:
    "a node's components in one process (kubelet, proxy, netpol, ingress, dns; apiserver, scheduler, controller-manager); each part stops and starts on its own",
  flags: {
    config: {
      type: 'string',
      arg: 'FILE',
      required: true,
      help: 'the parts and their flags: {"parts": [{"name": "kubelet", "args": ["--kubeconfig", ...]}, ...]} (required)',
    },
    'control-socket': { type: 'string', arg: 'PATH', help: 'serve the part stop/start API on this unix socket' },
    'stopped-dir': { type: 'string', arg: 'DIR', help: 'a file DIR/NAME holds part NAME stopped (kept across agent restarts)' },
  },
  async run(values) {
    const file = resolve(values.config)
    let config: AgentConfig
    try {
      config = JSON.parse(readFileSync(file, 'utf8')) as AgentConfig
    } catch (e) {
      throw new Error(`--config ${file}: ${e instanceof Error ? e.message : String(e)}`)
    }
    const running = await startAgent({ config, stoppedDir: values['stopped-dir'] ? resolve(values['stopped-dir']) : undefined })
    const socket = values['control-socket'] ? resolve(values['control-socket']) : undefined
    const control = socket ? await serveAgentControl(running, socket) : undefined
    console.log(`agent: starting ${config.parts.map((p) => p.name).join(', ')} (pid ${process.pid}${socket ? `, control socket ${socket}` : ''})`)
    return async () => {
      await new Promise<void>((ok) => (control ? control.close(() => ok()) : ok()))
      if (socket) {
        try {
          unlinkSync(socket)
        } catch {
          // already gone
        }
      }
      await running.stop()
    }
  },
})

/** Asks a running agent to stop or start a part; without an agent a stop only leaves the mark. */
export async function agentControl(opts: {
  socket: string
  action: 'start' | 'stop' | 'status'
  part: string
  stoppedDir?: string
  waitMs?: number
}): Promise<{ state?: PartState; note: string }> {
  const call = (method: string, path: string): Promise<{ code: number; body: string }> =>
    new Promise((ok, fail) => {
      const req = request({ socketPath: opts.socket, method, path }, (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () => ok({ code: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }))
        res.on('error', fail)
      })
      req.on('error', fail)
      req.end()
    })
  const deadline = Date.now() + (opts.waitMs ?? 60_000)
  for (;;) {
    try {
      if (opts.action === 'status') {
        const r = await call('GET', '/parts')
        const st = (JSON.parse(r.body) as Record<string, { state: PartState }>)[opts.part]
        if (!st) throw new Error(`the agent runs no part ${opts.part}`)
        return { state: st.state, note: st.state === 'running' ? 'active' : 'inactive' }
      }
      const r = await call('POST', `/parts/${opts.part}/${opts.action}`)
      const body = JSON.parse(r.body) as { state?: PartState; error?: string }
      if (r.code !== 200) throw Object.assign(new Error(body.error ?? `HTTP ${r.code}`), { final: true })
      return { state: body.state, note: `${opts.part} ${opts.action === 'stop' ? 'stopped' : 'started'}` }
    } catch (e) {
      if ((e as { final?: boolean }).final) throw e
      // No agent (not started yet, restarting, or down): a stop holds the part down for its next
      // start; a start waits for the agent.
      if (opts.action === 'stop' && opts.stoppedDir) {
        mkdirSync(opts.stoppedDir, { recursive: true })
        writeFileSync(join(opts.stoppedDir, opts.part), `${new Date().toISOString()}\n`)
        return { note: `${opts.part} held stopped (no agent running)` }
      }
      if (opts.action === 'status') return { state: 'stopped', note: 'inactive' }
      if (opts.action === 'start' && opts.stoppedDir) rmSync(join(opts.stoppedDir, opts.part), { force: true })
      if (Date.now() > deadline) throw new Error(`no agent answers on ${opts.socket}: ${e instanceof Error ? e.message : String(e)}`)
      await new Promise((r) => setTimeout(r, 250))
    }
  }
}

export const agentCtl = defineComponent({
  name: 'agent-ctl',
  about: "stop, start or show one part of this node's agent (what systemctl stop|start kubelab-PART runs)",
  usage: '--stop|--start|--status PART --control-socket PATH [--stopped-dir DIR]',
  flags: {
    stop: { type: 'string', arg: 'PART', help: 'stop this part (kept stopped across agent restarts)' },
    start: { type: 'string', arg: 'PART', help: 'start this part' },
    status: { type: 'string', arg: 'PART', help: 'print active or inactive (exit 3 when inactive, as systemctl is-active)' },
    'control-socket': { type: 'string', arg: 'PATH', required: true, help: "the agent's control socket (required)" },
    'stopped-dir': { type: 'string', arg: 'DIR', help: "the agent's --stopped-dir" },
    'wait-seconds': { type: 'string', arg: 'N', default: '60', help: 'how long a start waits for the agent to answer (default 60)' },
  },
  async run(values) {
    const actions = (['stop', 'start', 'status'] as const).filter((a) => values[a] !== undefined)
    if (actions.length !== 1) throw new Error('give exactly one of --stop, --start and --status')
    const action = actions[0]!
    const r = await agentControl({
      socket: resolve(values['control-socket']),
      action,
      part: values[action]!,
      stoppedDir: values['stopped-dir'] ? resolve(values['stopped-dir']) : undefined,
      waitMs: Number(values['wait-seconds']) * 1000,
    })
    console.log(r.note)
    if (action === 'status' && r.state !== 'running') process.exitCode = 3
  },
})
