// The HTTP(S) reverse proxy: each request is routed by the current routing table (host + path)
// to one ready endpoint of the chosen Service port, round-robin, over keep-alive connections.
// No matching rule → 404; a backend without ready endpoints → 503 saying why; an endpoint that
// fails → 502. WebSocket and other upgrades are passed through as raw byte streams. With TLS,
// the certificate is picked per SNI name from the Ingresses' Secrets.
import { Agent, createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import { connect, type AddressInfo, type Socket } from 'node:net'
import { createSecureContext, type SecureContext } from 'node:tls'
import type { Duplex } from 'node:stream'
import type { KeyPair } from '../kit/pki'
import { endToEndHeaders, rawRequestHead, withForwarded, type ClientInfo } from './forward'
import { normalizeHost, requestPath } from './match'
import { buildRoutingTable, type ResolvedBackend, type RoutingTable } from './routes'
import { buildTlsTable, type TlsTable } from './tls'
import type { Endpoint } from '../kit/endpoints'

export interface IngressProxyOptions {
  /** Address to listen on. Default 0.0.0.0. */
  readonly host?: string
  /** Plain HTTP port. Default 80; 0 picks a free port. */
  readonly httpPort?: number
  /** HTTPS port; undefined serves no HTTPS. */
  readonly httpsPort?: number
  /** Certificate for HTTPS when no Ingress has one for the host (required with httpsPort). */
  readonly defaultCert?: KeyPair
  /** Give up connecting to an endpoint after this long (answer 504). Default 5 s. */
  readonly connectTimeoutMs?: number
  readonly log?: (line: string) => void
}

export interface ProxyAddresses {
  readonly http: AddressInfo
  readonly https?: AddressInfo
}

type Chosen = { kind: 'endpoint'; backend: ResolvedBackend; endpoint: Endpoint } | { kind: 'error'; status: number; message: string }

export class IngressProxy {
  private routes: RoutingTable = buildRoutingTable({ ingresses: [], services: [], slices: [] })
  private tls: TlsTable = buildTlsTable([], [])
  private readonly contexts = new Map<string, SecureContext>()
  private defaultContext: SecureContext | undefined
  /** Round-robin position per backend key; survives table swaps so rebuilds do not reset it. */
  private readonly next = new Map<string, number>()
  private readonly agent = new Agent({ keepAlive: true, maxFreeSockets: 32 })
  private readonly servers: Server[] = []
  /** Upgraded connections leave the HTTP server's bookkeeping: close() ends them itself. */
  private readonly tunnels = new Set<Duplex>()
  private readonly log: (line: string) => void

  constructor(private readonly opts: IngressProxyOptions = {}) {
    this.log = opts.log ?? ((l) => console.log(l))
  }

  setRoutes(table: RoutingTable): void {
    this.routes = table
    const live = new Set(table.entries.map((e) => e.backend.key))
    if (table.defaultBackend) live.add(table.defaultBackend.key)
    for (const k of this.next.keys()) if (!live.has(k)) this.next.delete(k)
  }

  setTls(table: TlsTable): void {
    this.tls = table
    const live = new Set([...table.hosts.values(), ...(table.fallback ? [table.fallback] : [])].map((c) => c.version))
    for (const k of this.contexts.keys()) if (!live.has(k)) this.contexts.delete(k)
  }

  async listen(): Promise<ProxyAddresses> {
    const host = this.opts.host ?? '0.0.0.0'
    const http = createServer((req, res) => this.handle(req, res, 'http'))
    http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => this.upgrade(req, socket, head, 'http'))
    const httpAddr = await this.bind(http, host, this.opts.httpPort ?? 80)
    let httpsAddr: AddressInfo | undefined
    if (this.opts.httpsPort !== undefined) {
      const def = this.opts.defaultCert
      if (!def) throw new Error('an HTTPS port needs a default certificate (defaultCert)')
      this.defaultContext = createSecureContext({ cert: def.certPem, key: def.keyPem })
      const https = createHttpsServer({ cert: def.certPem, key: def.keyPem, SNICallback: (name, cb) => cb(null, this.contextFor(name)) }, (req, res) =>
        this.handle(req, res, 'https'),
      )
      https.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => this.upgrade(req, socket, head, 'https'))
      httpsAddr = await this.bind(https, host, this.opts.httpsPort)
    }
    return { http: httpAddr, https: httpsAddr }
  }

  private bind(server: Server, host: string, port: number): Promise<AddressInfo> {
    return new Promise((ok, fail) => {
      const onError = (e: NodeJS.ErrnoException): void =>
        fail(
          new Error(
            `ingress cannot listen on ${host}:${port}: ${e.code ?? e.message}${e.code === 'EADDRINUSE' ? ' (another program uses that port: stop it or pick another port)' : ''}`,
          ),
        )
      server.once('error', onError)
      server.listen(port, host, () => {
        server.off('error', onError)
        server.on('error', (e) => this.log(`ingress: listener error: ${e.message}`))
        this.servers.push(server)
        ok(server.address() as AddressInfo)
      })
    })
  }

  private contextFor(servername: string): SecureContext | undefined {
    const cert = this.tls.lookup(servername) ?? this.tls.fallback
    if (!cert) return this.defaultContext
    let ctx = this.contexts.get(cert.version)
    if (!ctx) {
      try {
        ctx = createSecureContext({ cert: cert.certPem, key: cert.keyPem })
      } catch (e) {
        this.log(`ingress: TLS secret ${cert.secret} is unusable (${(e as Error).message}); serving the default certificate`)
        return this.defaultContext
      }
      this.contexts.set(cert.version, ctx)
    }
    return ctx
  }

  /** Route a request and pick an endpoint, or say which error to answer. */
  private choose(req: IncomingMessage): Chosen {
    const host = normalizeHost(req.headers.host)
    const path = requestPath(req.url)
    const r = this.routes.route(host, path)
    if (r.kind === 'none')
      return { kind: 'error', status: 404, message: `no ingress rule matches host ${JSON.stringify(host)} and path ${JSON.stringify(path)}` }
    const b = r.backend
    if (b.endpoints.length === 0)
      return { kind: 'error', status: 503, message: `${b.unavailable ?? `service ${b.namespace}/${b.service} has no ready endpoints`} (ingress ${b.ingress})` }
    const i = this.next.get(b.key) ?? 0
    this.next.set(b.key, (i + 1) % b.endpoints.length)
    return { kind: 'endpoint', backend: b, endpoint: b.endpoints[i % b.endpoints.length]! }
  }

  private client(req: IncomingMessage, proto: 'http' | 'https'): ClientInfo {
    return { remoteAddress: req.socket.remoteAddress ?? '', proto, localPort: req.socket.localPort ?? 0 }
  }

  private handle(req: IncomingMessage, res: ServerResponse, proto: 'http' | 'https'): void {
    const c = this.choose(req)
    if (c.kind === 'error') return this.answer(res, c.status, c.message)
    const { endpoint: ep, backend } = c
    const headers = withForwarded(endToEndHeaders(req.headers), req.headers, this.client(req, proto))
    const up = httpRequest({ host: ep.ip, port: ep.port, method: req.method, path: req.url, headers, agent: this.agent })
    const what = `endpoint ${ep.ip}:${ep.port} of service ${backend.namespace}/${backend.service}`
    let connectTimer: NodeJS.Timeout | undefined
    up.on('socket', (s: Socket) => {
      if (!s.connecting) return
      connectTimer = setTimeout(() => up.destroy(Object.assign(new Error('connect timed out'), { code: 'ETIMEDOUT' })), this.opts.connectTimeoutMs ?? 5000)
      s.once('connect', () => clearTimeout(connectTimer))
    })
    up.on('response', (upRes) => {
      clearTimeout(connectTimer)
      res.writeHead(upRes.statusCode ?? 502, upRes.statusMessage, endToEndHeaders(upRes.headers))
      upRes.pipe(res)
      upRes.on('error', () => res.destroy())
    })
    up.on('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(connectTimer)
      if (res.headersSent) return void res.destroy()
      const timedOut = e.code === 'ETIMEDOUT'
      this.answer(res, timedOut ? 504 : 502, `${what} ${timedOut ? 'did not accept the connection in time' : `failed: ${e.code ?? e.message}`}`)
    })
    // The caller went away before the answer was complete: stop the backend request too.
    res.on('close', () => {
      if (!res.writableFinished) up.destroy()
    })
    req.pipe(up)
  }

  private answer(res: ServerResponse, status: number, message: string): void {
    const text = `${status} ${STATUS_TEXT[status] ?? 'Error'}: ${message}\n`
    res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(text) })
    res.end(text)
  }

  private upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, proto: 'http' | 'https'): void {
    const c = this.choose(req)
    if (c.kind === 'error') {
      const text = `${c.status} ${STATUS_TEXT[c.status] ?? 'Error'}: ${c.message}\n`
      socket.end(
        `HTTP/1.1 ${c.status} ${STATUS_TEXT[c.status] ?? 'Error'}\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(text)}\r\nConnection: close\r\n\r\n${text}`,
      )
      return
    }
    const headers = withForwarded(endToEndHeaders(req.headers, ['connection', 'upgrade']), req.headers, this.client(req, proto))
    const up = connect(c.endpoint.port, c.endpoint.ip)
    up.setNoDelay(true)
    const fail = (): void => {
      up.destroy()
      socket.destroy()
    }
    up.once('connect', () => {
      up.write(rawRequestHead(req.method ?? 'GET', req.url ?? '/', headers))
      if (head.length) up.write(head)
      up.pipe(socket)
      socket.pipe(up)
    })
    up.on('error', fail)
    socket.on('error', fail)
    this.tunnels.add(socket).add(up)
    socket.on('close', () => {
      this.tunnels.delete(socket)
      up.destroy()
    })
    up.on('close', () => {
      this.tunnels.delete(up)
      socket.destroy()
    })
  }

  async close(): Promise<void> {
    for (const t of this.tunnels) t.destroy()
    await Promise.all(
      this.servers.map(
        (s) =>
          new Promise<void>((ok) => {
            s.close(() => ok())
            s.closeAllConnections()
          }),
      ),
    )
    this.servers.length = 0
    this.agent.destroy()
  }
}

const STATUS_TEXT: Record<number, string> = { 404: 'Not Found', 502: 'Bad Gateway', 503: 'Service Unavailable', 504: 'Gateway Timeout' }
