// SPDY/3.1 as Kubernetes uses it (exec/attach fallback, port-forward), on spdy-transport.
// Two patches make spdy-transport talk to Go's spdystream:
// - Kubernetes streams carry no HTTP pseudo-headers, which spdy-transport's parser demands on
//   every SYN_STREAM; a header block without `:method` gets `:method: GET` and `:path: /`.
// - Go answers SYN_STREAM with a SYN_REPLY without `:status`, which spdy-transport's client
//   side resets; a reply without one counts as 200.
// - Go's spdystream does no flow control: it never sends WINDOW_UPDATE, so spdy-transport
//   would stop writing after 64 KiB on a stream. Sending ignores the peer's window, as Go's
//   side does (receiving still grants window updates, harmless to Go).
import { request as httpRequest, type IncomingMessage } from 'node:http'
import { request as httpsRequest } from 'node:https'
import type { Socket } from 'node:net'
import type { Duplex } from 'node:stream'
import transport, { type SpdyConnection, type SpdyStream } from 'spdy-transport'

export type { SpdyConnection, SpdyStream }

type KvCallback = (err: Error | null, headers?: Record<string, string>) => void
interface PatchableParser {
  parseKVs(buffer: unknown, cb: KvCallback): void
}

let patched = false

/** Applies the two compatibility patches once per process. */
export function patchSpdyTransport(): void {
  if (patched) return
  patched = true
  const parserModule = transport.protocol.spdy.parser
  const create = parserModule.create.bind(parserModule)
  parserModule.create = (options: unknown) => {
    const p = create(options) as PatchableParser
    const parseKVs = p.parseKVs.bind(p)
    p.parseKVs = (buffer, cb) =>
      parseKVs(buffer, (err, headers) => {
        if (!err && headers && headers[':method'] === undefined) {
          headers[':method'] = 'GET'
          headers[':path'] = headers[':path'] ?? '/'
        }
        cb(err, headers)
      })
    return p
  }
  const side = Object.getPrototypeOf(new transport.Window({ id: 0, isServer: false, recv: { size: 1, max: 2 }, send: { size: 1, max: 2 } }).send) as {
    isEmpty: (this: { name: string; current: number }) => boolean
  }
  const isEmpty = side.isEmpty
  side.isEmpty = function () {
    return this.name === 'send' ? false : isEmpty.call(this)
  }
  const proto = transport.Stream.prototype as { _handleResponse: (frame: { headers: Record<string, string> }) => void }
  const handleResponse = proto._handleResponse
  proto._handleResponse = function (this: unknown, frame) {
    if (frame.headers[':status'] === undefined) frame.headers[':status'] = '200'
    return handleResponse.call(this, frame)
  }
}

/** SPDY server side over an upgraded socket or a WebSocket duplex. */
export function spdyServer(socket: Duplex): SpdyConnection {
  patchSpdyTransport()
  return transport.connection.create(socket, { protocol: 'spdy', isServer: true, autoSpdy31: true })
}

/** SPDY client side (we open the streams). */
export function spdyClient(socket: Duplex): SpdyConnection {
  patchSpdyTransport()
  const conn = transport.connection.create(socket, { protocol: 'spdy', isServer: false })
  conn.start(3.1)
  return conn
}

/** Kubernetes stream headers, without the pseudo-headers the patches or the framer add. */
export function streamHeaders(stream: SpdyStream): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(stream.headers)) if (!k.startsWith(':')) out[k.toLowerCase()] = v
  return out
}

/** Opens a stream with Kubernetes headers and waits for the peer's reply. */
export function openStream(conn: SpdyConnection, headers: Record<string, string>): Promise<SpdyStream> {
  return new Promise((resolve, reject) => {
    // POST: spdy-transport half-closes GET streams at once, and our streams carry data.
    const s = conn.request({ method: 'POST', path: '/', headers }, (err) => {
      if (err) reject(new Error(`opening SPDY stream ${JSON.stringify(headers)} failed: ${err.message}`))
    })
    s.once('response', () => resolve(s))
    s.once('error', (e: Error) => reject(new Error(`SPDY stream ${JSON.stringify(headers)} failed: ${e.message}`)))
    s.once('close', () => reject(new Error(`SPDY stream ${JSON.stringify(headers)} was closed before the peer replied`)))
  })
}

export interface SpdyDialResult {
  readonly conn: SpdyConnection
  readonly socket: Socket
  /** The X-Stream-Protocol-Version the server chose. */
  readonly protocol: string
}

/** An HTTP error answer to an upgrade request, with its status code and body text. */
export class UpgradeRefusedError extends Error {
  constructor(
    readonly statusCode: number,
    readonly body: string,
    url: string,
  ) {
    super(`${url} refused the SPDY upgrade with HTTP ${statusCode}: ${body.slice(0, 300)}`)
    this.name = 'UpgradeRefusedError'
  }
}

/**
 * POSTs an `Upgrade: SPDY/3.1` request offering the given stream protocols (best first) and
 * returns a client connection over the upgraded socket.
 */
export function dialSpdy(url: string, protocols: readonly string[], tls?: { ca?: string; cert?: string; key?: string }): Promise<SpdyDialResult> {
  const u = new URL(url)
  const req = (u.protocol === 'https:' ? httpsRequest : httpRequest)({
    method: 'POST',
    host: u.hostname,
    port: u.port || (u.protocol === 'https:' ? 443 : 80),
    path: u.pathname + u.search,
    headers: { Connection: 'Upgrade', Upgrade: 'SPDY/3.1', 'X-Stream-Protocol-Version': protocols.join(', '), 'Content-Length': '0' },
    ...(tls ?? {}),
  })
  return new Promise((resolve, reject) => {
    req.on('upgrade', (res: IncomingMessage, socket: Socket, head: Buffer) => {
      if (head.length) socket.unshift(head)
      const chosen = String(res.headers['x-stream-protocol-version'] ?? '')
      const conn = spdyClient(socket)
      // A peer that hangs up while frames are still queued makes spdy-transport emit EPIPE on
      // the connection; unheard, that error would end the whole process (the kubelet). Callers
      // see the close on `socket` and may add their own listeners for logging.
      conn.on('error', () => {})
      socket.on('error', () => {})
      resolve({ conn, socket, protocol: chosen })
    })
    req.on('response', (res: IncomingMessage) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => reject(new UpgradeRefusedError(res.statusCode ?? 0, Buffer.concat(chunks).toString('utf8'), url)))
    })
    req.on('error', (e) => reject(new Error(`cannot reach the streaming server at ${u.host}: ${e.message}`)))
    req.end()
  })
}

/** Picks the first protocol we support among those a client offered in X-Stream-Protocol-Version. */
export function negotiateStreamProtocol(offered: string | string[] | undefined, supported: readonly string[]): string | undefined {
  const list = (Array.isArray(offered) ? offered.join(',') : (offered ?? ''))
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
  return list.find((p) => supported.includes(p))
}

/** Answers an upgrade request with 101 for SPDY/3.1 and returns the server connection. */
export function acceptSpdy(socket: Duplex, head: Buffer, protocol: string): SpdyConnection {
  socket.write(`HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: ${protocol}\r\n\r\n`)
  if (head.length) socket.unshift(head)
  return spdyServer(socket)
}
