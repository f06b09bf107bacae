// An in-process stand-in for containerd's CRI streaming server, for tests of the kubelet's
// streaming server without containerd. Like containerd it hands out single-use URLs
// (http://127.0.0.1:PORT/exec/TOKEN) and speaks SPDY/3.1 there: exec streams by `streamtype`
// (error, stdin, stdout, stderr, resize) with the v4 Status on the error stream, and
// port-forward streams by `port`/`requestid`. Exec runs a real local process (a pty with tty),
// and port-forward connects to 127.0.0.1:PORT (the "pod" is this host).
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { createServer, type IncomingMessage, type Server } from 'node:http'
import { connect } from 'node:net'
import type { Duplex } from 'node:stream'
import * as pty from 'node-pty'
import { KubeletError, type ContainerRef, type KubeletRuntime, type PodRef, type StreamOptions } from '../../src-cluster/kubelet/server'
import {
  acceptSpdy,
  exitStatus,
  errorStatus,
  negotiateStreamProtocol,
  parseResize,
  SPDY_EXEC_PROTOCOLS,
  SPDY_PORTFORWARD,
  streamHeaders,
  type SpdyStream,
} from '../../src-cluster/streaming'

type Pending = { kind: 'exec'; command: readonly string[]; opts: StreamOptions } | { kind: 'portforward' }

export interface FakeContainer {
  logPath: string
  previousLogPath?: string
  running: boolean
}

export interface FakeStreamingRuntime {
  readonly runtime: KubeletRuntime
  /** Containers by "ns/pod/container". */
  readonly containers: Map<string, FakeContainer>
  /** Every SPDY protocol version the kubelet negotiated with us (to check translation). */
  readonly negotiated: string[]
  close(): Promise<void>
}

export async function startFakeStreamingRuntime(): Promise<FakeStreamingRuntime> {
  const pending = new Map<string, Pending>()
  const containers = new Map<string, FakeContainer>()
  const negotiated: string[] = []
  const sockets = new Set<Duplex>()
  const server: Server = createServer((_req, res) => res.writeHead(404).end('streaming endpoints need an upgrade'))
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
    socket.on('error', () => {})
    const m = /^\/(exec|portforward)\/([a-zA-Z0-9]+)$/.exec(req.url ?? '')
    const p = m ? pending.get(m[2]!) : undefined
    if (!m || !p || p.kind !== m[1]) {
      socket.end('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n')
      return
    }
    pending.delete(m[2]!) // single use, as containerd's tokens are
    const proto = negotiateStreamProtocol(req.headers['x-stream-protocol-version'], p.kind === 'exec' ? SPDY_EXEC_PROTOCOLS : [SPDY_PORTFORWARD])
    if (!proto) {
      socket.end('HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n')
      return
    }
    negotiated.push(proto)
    const conn = acceptSpdy(socket, head, proto)
    conn.on('error', () => {})
    if (p.kind === 'portforward') {
      const errors = new Map<string, SpdyStream>()
      conn.on('stream', (s: SpdyStream) => {
        s.respond(200, {})
        s.on('error', () => {})
        const h = streamHeaders(s)
        if (h.streamtype === 'error') {
          errors.set(h.requestid ?? '', s)
          return
        }
        const tcp = connect(Number(h.port), '127.0.0.1')
        tcp.on('error', (e) => {
          errors.get(h.requestid ?? '')?.end(`error forwarding port ${h.port}: ${e.message}`)
          s.end()
        })
        s.pipe(tcp)
        tcp.pipe(s)
      })
      return
    }
    // exec: wait for the expected streams, then run the command.
    const want = 1 + (p.opts.stdin ? 1 : 0) + (p.opts.stdout ? 1 : 0) + (p.opts.stderr && !p.opts.tty ? 1 : 0) + (p.opts.tty ? 1 : 0)
    const streams = new Map<string, SpdyStream>()
    conn.on('stream', (s: SpdyStream) => {
      s.respond(200, {})
      s.on('error', () => {})
      streams.set(streamHeaders(s).streamtype ?? '', s)
      if (streams.size === want) run(p.command, p.opts, streams, () => socket.end())
    })
  })
  const port = await new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)))

  const token = (p: Pending) => {
    const t = randomBytes(6).toString('hex')
    pending.set(t, p)
    return t
  }
  const find = (ref: ContainerRef): FakeContainer => {
    const c = containers.get(`${ref.namespace}/${ref.pod}/${ref.container}`)
    if (!c) throw new KubeletError(404, 'NotFound', `container not found ("${ref.container}")`)
    return c
  }
  const runtime: KubeletRuntime = {
    async exec(ref, command, opts) {
      find(ref)
      return { url: `http://127.0.0.1:${port}/exec/${token({ kind: 'exec', command, opts })}` }
    },
    async attach(ref) {
      throw new KubeletError(400, 'BadRequest', `the fake streaming runtime does not attach (container ${ref.container})`)
    },
    async portForward(_ref: PodRef) {
      return { url: `http://127.0.0.1:${port}/portforward/${token({ kind: 'portforward' })}` }
    },
    async logPath(ref, previous) {
      const c = find(ref)
      if (previous) {
        if (!c.previousLogPath) throw new KubeletError(400, 'BadRequest', `previous terminated container "${ref.container}" in pod "${ref.pod}" not found`)
        return c.previousLogPath
      }
      return c.logPath
    },
    async containerRunning(ref) {
      return find(ref).running
    },
  }
  return {
    runtime,
    containers,
    negotiated,
    async close() {
      for (const s of sockets) s.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

function run(command: readonly string[], opts: StreamOptions, streams: Map<string, SpdyStream>, done: () => void): void {
  const error = streams.get('error')!
  const stdin = streams.get('stdin')
  const stdout = streams.get('stdout')
  const stderr = streams.get('stderr')
  const finish = (code: number) => {
    error.end(JSON.stringify(exitStatus(code)))
    stdout?.end()
    stderr?.end()
    setTimeout(done, 100)
  }
  if (opts.tty) {
    const term = pty.spawn(command[0]!, command.slice(1) as string[], {
      cols: 80,
      rows: 24,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', TERM: 'xterm', PS1: '$ ' },
    })
    term.onData((d) => stdout?.write(d))
    term.onExit(({ exitCode }) => setTimeout(() => finish(exitCode), 50))
    stdin?.on('data', (d: Buffer) => term.write(d.toString('utf8')))
    streams.get('resize')?.on('data', (d: Buffer) => {
      for (const sz of parseResize(d)) term.resize(sz.width, sz.height)
    })
    return
  }
  const child = spawn(command[0]!, command.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] })
  child.on('error', (e) => {
    error.end(JSON.stringify(errorStatus(`failed to exec in container: ${e.message}`)))
    stdout?.end()
    stderr?.end()
    setTimeout(done, 100)
  })
  if (stdin) stdin.pipe(child.stdin)
  else child.stdin.end()
  child.stdin.on('error', () => {})
  child.stdout.on('data', (d: Buffer) => stdout?.write(d))
  child.stderr.on('data', (d: Buffer) => stderr?.write(d))
  child.on('close', (code, signal) => finish(code ?? (signal ? 128 + 9 : 1)))
}
