// The kubelet's HTTPS server: container logs, exec, attach, port-forward and the resource
// summary for the metrics API. Callers present a client certificate from the cluster CA
// (the API server's "system:kube-apiserver" identity); others get 401/403.
import type { IncomingMessage, ServerResponse } from 'node:http'
import { createServer, type Server } from 'node:https'
import type { Duplex } from 'node:stream'
import type { TLSSocket } from 'node:tls'
import { queryAnyBool } from '../../util/query'
import { WebSocketServer, type WebSocket } from 'ws'
import { KUBELET_SUMMARY_PATH } from '../../kit/kubelet-summary'
import {
  acceptSpdy,
  dialSpdy,
  negotiateStreamProtocol,
  spdyServer,
  SPDY_EXEC_PROTOCOLS,
  SPDY_PORTFORWARD,
  UpgradeRefusedError,
  WebSocketDuplex,
  WS_EXEC_PROTOCOLS,
  WS_PORTFORWARD_TUNNEL,
} from '../../streaming'
import { bridgeWebSocketToSpdy, openRuntimeExecStreams, relaySpdy } from './bridge'
import { parseLogQuery, streamLog } from './logs'
import {
  KubeletError,
  kubeletErrors,
  type ContainerRef,
  type KubeletServer,
  type KubeletServerOptions,
  type KubeletUser,
  type PodRef,
  type StreamOptions,
} from './types'

export const KUBELET_API_USER = 'system:kube-apiserver'
const TUNNEL_ALIAS = 'kubelab-spdy-portforward-tunnel'

function defaultAuthorize(u: KubeletUser): boolean {
  return u.name === KUBELET_API_USER || u.groups.includes('system:masters')
}

function peerUser(req: IncomingMessage): KubeletUser | undefined {
  const sock = req.socket as TLSSocket
  if (!sock.authorized) return undefined
  const cert = sock.getPeerCertificate()
  const cn = cert?.subject?.CN
  if (!cn) return undefined
  const o = cert.subject.O
  return { name: Array.isArray(cn) ? cn[0]! : cn, groups: Array.isArray(o) ? o : o ? [o] : [] }
}

function statusBody(code: number, reason: string, message: string): string {
  return JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code })
}

function asKubeletError(e: unknown): KubeletError {
  if (e instanceof KubeletError) return e
  if (e instanceof UpgradeRefusedError) return kubeletErrors.internal(`the container runtime refused the stream: ${e.body.trim() || `HTTP ${e.statusCode}`}`)
  return kubeletErrors.internal(e instanceof Error ? e.message : String(e))
}

/** Writes an HTTP error on a socket that has not been upgraded. */
function rejectUpgrade(socket: Duplex, err: KubeletError): void {
  const body = statusBody(err.code, err.reason, err.message)
  socket.end(
    `HTTP/1.1 ${err.code} ${err.reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  )
}

interface StreamTarget {
  readonly kind: 'exec' | 'attach' | 'portForward'
  readonly container?: ContainerRef
  readonly pod: PodRef
}

/** /exec|attach/{ns}/{pod}[/{uid}]/{container} and /portForward/{ns}/{pod}[/{uid}]. */
export function parseStreamPath(pathname: string): StreamTarget | undefined {
  const segs = pathname.split('/').filter(Boolean).map(decodeURIComponent)
  const kind = segs[0]
  if (kind === 'exec' || kind === 'attach') {
    if (segs.length !== 4 && segs.length !== 5) return undefined
    const [, namespace, pod] = segs as [string, string, string]
    const uid = segs.length === 5 ? segs[3] : undefined
    const container = segs[segs.length - 1]!
    return { kind, pod: { namespace, pod, uid }, container: { namespace, pod, uid, container } }
  }
  if (kind === 'portForward') {
    if (segs.length !== 3 && segs.length !== 4) return undefined
    return { kind, pod: { namespace: segs[1]!, pod: segs[2]!, uid: segs[3] } }
  }
  return undefined
}

function flag(q: URLSearchParams, ...names: string[]): boolean {
  return queryAnyBool(q, ...names)
}

/** Stream flags from upstream's kubelet names (input/output/error/tty = 1) or the API's (stdin=true…). */
export function streamOptions(query: URLSearchParams): StreamOptions {
  return { stdin: flag(query, 'input', 'stdin'), stdout: flag(query, 'output', 'stdout'), stderr: flag(query, 'error', 'stderr'), tty: flag(query, 'tty') }
}

export async function startKubeletServer(opts: KubeletServerOptions): Promise<KubeletServer> {
  const log = opts.log ?? ((l: string) => console.log(l))
  const authorize = opts.authorize ?? defaultAuthorize
  const pollMs = opts.followPollMs ?? 250
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false })
  const server: Server = createServer({ cert: opts.tls.certPem, key: opts.tls.keyPem, ca: opts.tls.caPem, requestCert: true, rejectUnauthorized: false })
  const sockets = new Set<Duplex>()

  const check = (req: IncomingMessage): void => {
    const user = peerUser(req)
    if (!user) throw new KubeletError(401, 'Unauthorized', 'a client certificate signed by the cluster CA is required')
    if (!authorize(user)) throw kubeletErrors.forbidden(`user ${user.name} may not use the kubelet API`)
  }

  async function onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'https://kubelet')
    if (url.pathname === '/healthz') {
      res.writeHead(200, { 'Content-Type': 'text/plain' }).end('ok')
      return
    }
    check(req)
    const segs = url.pathname.split('/').filter(Boolean).map(decodeURIComponent)
    if (url.pathname === KUBELET_SUMMARY_PATH) {
      if (!opts.statsSummary) throw kubeletErrors.notFound('this kubelet serves no resource summary')
      const summary = await opts.statsSummary(url.searchParams.get('node') ?? '')
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(summary))
      return
    }
    if (segs[0] === 'containerLogs') {
      if (segs.length !== 4) throw kubeletErrors.notFound(`expected /containerLogs/NAMESPACE/POD/CONTAINER, got ${url.pathname}`)
      const ref: ContainerRef = { namespace: segs[1]!, pod: segs[2]!, container: segs[3]! }
      let lo
      try {
        lo = parseLogQuery(url.searchParams)
      } catch (e) {
        throw kubeletErrors.badRequest((e as Error).message)
      }
      const path = await opts.runtime.logPath(ref, flag(url.searchParams, 'previous'))
      res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-cache' })
      res.flushHeaders()
      const aborted = new Promise<void>((resolve) => res.once('close', () => resolve()))
      await streamLog(
        path,
        lo,
        { write: (text) => !res.destroyed && (res.write(text), true) },
        { pollMs, aborted, running: () => opts.runtime.containerRunning(ref).catch(() => false) },
      ).catch((e: Error) => log(`kubelet: logs of ${ref.namespace}/${ref.pod}/${ref.container}: ${e.message}`))
      res.end()
      return
    }
    if (parseStreamPath(url.pathname)) throw kubeletErrors.badRequest('Upgrade request required: use a WebSocket (v5.channel.k8s.io) or SPDY/3.1 upgrade')
    throw kubeletErrors.notFound(`no such kubelet endpoint: ${url.pathname}`)
  }

  async function onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    check(req)
    const url = new URL(req.url ?? '/', 'https://kubelet')
    const target = parseStreamPath(url.pathname)
    if (!target) throw kubeletErrors.notFound(`no streaming endpoint at ${url.pathname}`)
    const upgrade = String(req.headers.upgrade ?? '').toLowerCase()
    const isWs = upgrade === 'websocket'
    if (!isWs && upgrade !== 'spdy/3.1') throw kubeletErrors.badRequest(`unsupported upgrade ${JSON.stringify(req.headers.upgrade)}: use websocket or SPDY/3.1`)
    const offeredWs = String(req.headers['sec-websocket-protocol'] ?? '')
      .split(',')
      .map((s) => s.trim())

    if (target.kind === 'portForward') {
      if (isWs && !offeredWs.includes(WS_PORTFORWARD_TUNNEL))
        throw kubeletErrors.badRequest(`port-forward over WebSocket needs the subprotocol ${WS_PORTFORWARD_TUNNEL}`)
      if (!isWs && !negotiateStreamProtocol(req.headers['x-stream-protocol-version'], [SPDY_PORTFORWARD])) {
        throw kubeletErrors.badRequest(`port-forward over SPDY needs X-Stream-Protocol-Version: ${SPDY_PORTFORWARD}`)
      }
      const { url: rtUrl } = await opts.runtime.portForward(target.pod, [])
      const dial = await dialSpdy(rtUrl, [SPDY_PORTFORWARD])
      if (isWs) {
        // `ws` rejects "/" in subprotocol names (not an RFC 6455 token), which kubectl's tunnel
        // protocol has: negotiate an alias and put the real name back in the 101 answer.
        req.headers['sec-websocket-protocol'] = TUNNEL_ALIAS
        wss.handleUpgrade(req, socket, head, (ws: WebSocket) => {
          const duplex = new WebSocketDuplex(ws)
          duplex.on('error', () => {})
          relaySpdy(spdyServer(duplex), duplex, dial, log)
        })
      } else {
        relaySpdy(acceptSpdy(socket, head, SPDY_PORTFORWARD), socket, dial, log)
      }
      return
    }

    const ref = target.container!
    const so = streamOptions(url.searchParams)
    const command = url.searchParams.getAll('command')
    if (target.kind === 'exec' && command.length === 0) throw kubeletErrors.badRequest('you must specify at least 1 command')
    if (!so.stdin && !so.stdout && !so.stderr) throw kubeletErrors.badRequest('you must specify at least 1 of stdin, stdout, stderr')
    if (isWs) {
      if (!offeredWs.some((p) => WS_EXEC_PROTOCOLS.includes(p)))
        throw kubeletErrors.badRequest(
          `none of the offered WebSocket subprotocols ${JSON.stringify(offeredWs)} is supported: use ${WS_EXEC_PROTOCOLS.join(' or ')}`,
        )
    }
    const spdyProto = isWs ? SPDY_EXEC_PROTOCOLS[0]! : negotiateStreamProtocol(req.headers['x-stream-protocol-version'], SPDY_EXEC_PROTOCOLS)
    if (!spdyProto)
      throw kubeletErrors.badRequest(
        `none of the offered stream protocols ${JSON.stringify(req.headers['x-stream-protocol-version'] ?? '')} is supported: use ${SPDY_EXEC_PROTOCOLS.join(', ')}`,
      )
    const { url: rtUrl } = target.kind === 'exec' ? await opts.runtime.exec(ref, command, so) : await opts.runtime.attach(ref, so)
    const dial = await dialSpdy(rtUrl, [spdyProto])
    if (!isWs) {
      relaySpdy(acceptSpdy(socket, head, spdyProto), socket, dial, log)
      return
    }
    const streams = await openRuntimeExecStreams(dial, so).catch((e: Error) => {
      dial.socket.destroy()
      throw e
    })
    wss.handleUpgrade(req, socket, head, (ws: WebSocket) => bridgeWebSocketToSpdy(ws, streams, log))
  }

  wss.options.handleProtocols = (protocols: Set<string>) => {
    for (const p of [...WS_EXEC_PROTOCOLS, TUNNEL_ALIAS]) if (protocols.has(p)) return p
    return false
  }
  wss.on('headers', (headers: string[]) => {
    const i = headers.indexOf(`Sec-WebSocket-Protocol: ${TUNNEL_ALIAS}`)
    if (i >= 0) headers[i] = `Sec-WebSocket-Protocol: ${WS_PORTFORWARD_TUNNEL}`
  })

  server.on('connection', (s: Duplex) => {
    sockets.add(s)
    s.once('close', () => sockets.delete(s))
  })
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    onRequest(req, res).catch((e: unknown) => {
      const err = asKubeletError(e)
      if (err.code >= 500) log(`kubelet: ${req.method} ${req.url}: ${err.message}`)
      if (res.headersSent) {
        res.end()
        return
      }
      res.writeHead(err.code, { 'Content-Type': 'application/json' }).end(statusBody(err.code, err.reason, err.message))
    })
  })
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => {})
    onUpgrade(req, socket, head).catch((e: unknown) => {
      const err = asKubeletError(e)
      if (err.code >= 500) log(`kubelet: upgrade ${req.url}: ${err.message}`)
      if (!socket.destroyed) rejectUpgrade(socket, err)
    })
  })

  const port = await new Promise<number>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) =>
      reject(e.code === 'EADDRINUSE' ? new Error(`kubelet port ${opts.port} is in use: stop what holds it or pass another --port`) : e),
    )
    server.listen(opts.port, opts.host ?? '0.0.0.0', () => resolve((server.address() as { port: number }).port))
  })
  return {
    port,
    async close() {
      for (const s of sockets) s.destroy()
      for (const c of wss.clients) c.terminate()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
