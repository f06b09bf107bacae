// The in-process transport, two ways for a client and the API server living in the same process:
//  - the direct path (DirectDispatch): the client hands the server a request (method, target,
//    headers, body) and gets the response's status, headers and body chunks back, through the
//    server's whole request pipeline (authentication, authorization, admission, the handlers,
//    watch) with no HTTP/1.1 text written or parsed on either side. What the components in the
//    control-plane process use.
//  - a pair of connected in-memory streams that stand in for a loopback socket, with HTTP/1.1
//    over them (no TLS, no kernel socket): for a client that needs a real HTTP connection.
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http'
import { Duplex, Readable, Writable } from 'node:stream'

/** Opens a new connection to an API server in this process; its other end is already the server's. */
export type InProcessConnect = () => Duplex

/**
 * One end of an in-memory connection. Writes are pushed to the other end's readable side
 * (back-pressured: a write's callback waits until the reader asked for more), end() ends the
 * other's reading, and destroying either end destroys both, as a closed socket ends both sides
 * of a TCP connection. The socket methods HTTP calls (timeouts, keep-alive, no-delay, ref) are
 * no-ops: nothing here can stall on a network.
 */
class MemorySocket extends Duplex {
  other!: MemorySocket
  /** Watch events' objects the other end handed over, oldest first (see watchObjectSink). */
  readonly objects: unknown[] = []
  private pendingWrite: (() => void) | undefined
  readonly remoteAddress = '127.0.0.1'
  readonly remotePort = 0
  readonly localAddress = '127.0.0.1'
  readonly localPort = 0
  readonly remoteFamily = 'IPv4'
  readonly encrypted = false

  override _read(): void {
    const cb = this.other.pendingWrite
    if (cb) {
      this.other.pendingWrite = undefined
      cb()
    }
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    if (this.other.destroyed) return cb(new Error('in-process connection closed'))
    if (this.other.push(chunk)) cb()
    else this.pendingWrite = () => cb()
  }

  override _final(cb: (err?: Error | null) => void): void {
    if (!this.other.destroyed) this.other.push(null)
    cb()
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    const w = this.pendingWrite
    this.pendingWrite = undefined
    w?.()
    // The other end sees a closed connection (its 'close'; a request on it fails as reset).
    if (!this.other.destroyed) queueMicrotask(() => this.other.destroy())
    cb(err)
  }

  setTimeout(_ms: number, cb?: () => void): this {
    void cb
    return this
  }
  setKeepAlive(): this {
    return this
  }
  setNoDelay(): this {
    return this
  }
  ref(): this {
    return this
  }
  unref(): this {
    return this
  }
  address(): { address: string; family: string; port: number } {
    return { address: '127.0.0.1', family: 'IPv4', port: 0 }
  }
}

/**
 * Sent by an in-process client with a watch whose events it takes as the API server's own
 * parsed objects, read-only and shared (an informer): the server then writes a marker line per
 * object event (`@ADDED`, `@MODIFIED`, `@DELETED`) and hands the object itself over beside the
 * stream, in order, instead of JSON to be parsed again on this side. Bookmarks and errors stay
 * JSON lines. Honoured only on an in-process connection; every other client gets the ordinary
 * stream whatever it sends.
 */
export const WATCH_OBJECTS_HEADER = 'x-kubelab-watch-objects'

/** The first character of a marker line (no JSON text starts with it). */
export const WATCH_OBJECT_MARK = '@'

/**
 * The server's side of WATCH_OBJECTS_HEADER: how to hand an object to the client of `res` (a
 * direct exchange) or at the other end of `socket` (returns how many wait there), or undefined
 * when neither is in-process.
 */
export function watchObjectSink(socket: unknown, res: unknown): ((obj: unknown) => number) | undefined {
  if (res instanceof DirectResponse) return (obj) => res.handOver(obj)
  if (!(socket instanceof MemorySocket)) return undefined
  const queue = socket.other.objects
  return (obj) => queue.push(obj)
}

/** The client's side: the next object the server handed over on `socket`'s connection. */
export function takeWatchObject(socket: unknown): unknown {
  if (!(socket instanceof MemorySocket) || socket.objects.length === 0) throw new Error('watch: a marker line came with no object handed over')
  return socket.objects.shift()
}

/** Two connected ends: [client, server]. */
export function memorySocketPair(): [Duplex, Duplex] {
  const a = new MemorySocket()
  const b = new MemorySocket()
  a.other = b
  b.other = a
  return [a, b]
}

/** A request as an in-process client hands it to the API server on the direct path. */
export interface DirectRequestInit {
  readonly method: string
  /** The request target: path and query, as on an HTTP request line. */
  readonly url: string
  /** Header names in any case: the server sees them lower-cased, as Node's parser gives them. */
  readonly headers: Readonly<Record<string, string>>
  readonly body?: string | Buffer
}

/**
 * What the client of a direct request is told, in order: the head once, body chunks (as the
 * server wrote them: strings or bytes), then end, or error if the exchange broke off first
 * (the server destroyed the response or closed). Never called again after end or error.
 */
export interface DirectReceiver {
  head(status: number, headers: Readonly<OutgoingHttpHeaders>): void
  data(chunk: string | Buffer): void
  end(): void
  error(err: Error): void
}

/** The client's handle on a direct request under way. */
export interface DirectExchange {
  /** Gives up (a timeout, a watch stopped): the server sees the request closed, as a dropped connection; the receiver hears nothing more. */
  abort(): void
  /** The next watch event's object the server handed over (WATCH_OBJECTS_HEADER). */
  takeObject(): unknown
}

/** The direct path into an API server in this process, for one client identity (`ApiServer.inProcessDispatch`). */
export type DirectDispatch = (request: DirectRequestInit, receiver: DirectReceiver) => DirectExchange

/**
 * The connection every direct request of one client identity comes on: the key its verified
 * identity is stored under (auth.ts markInProcessPeer), as a TLS socket's certificate.
 */
export class DirectConnection {
  readonly remoteAddress = '127.0.0.1'
}

const NO_BODY = Buffer.alloc(0)

/**
 * The server's view of a direct request (an ApiRequest): method, target and headers as given,
 * the body as a stream for whoever pipes it (the aggregator's and the kubelet proxies) or taken
 * whole by the body reader. 'close' comes when the exchange ends, as with Node's request.
 */
export class DirectRequest extends Readable {
  readonly method: string
  readonly url: string
  readonly headers: IncomingHttpHeaders = {}
  private body: string | Buffer | undefined

  constructor(
    init: DirectRequestInit,
    readonly socket: DirectConnection,
  ) {
    super({ autoDestroy: false })
    this.method = init.method
    this.url = init.url
    for (const name in init.headers) this.headers[name.toLowerCase()] = init.headers[name]
    this.body = init.body
  }

  /** The whole body at once (read once: afterwards, and for the stream, it is empty). */
  takeBody(): Buffer {
    const b = this.body
    this.body = undefined
    return b === undefined ? NO_BODY : typeof b === 'string' ? Buffer.from(b) : b
  }

  override _read(): void {
    const b = this.takeBody()
    if (b.length) this.push(b)
    this.push(null)
  }
}

/** As Node's ServerResponse refuses it. */
function headersSentError(): Error {
  return Object.assign(new Error('Cannot set headers after they are sent to the client'), { code: 'ERR_HTTP_HEADERS_SENT' })
}

/**
 * The server's view of a direct response (an ApiResponse), and the client's handle on it. The
 * head goes to the receiver with the first body chunk (or flushHeaders, or end); chunks are
 * delivered a microtask after they are written (never inside the server's own call, as a
 * socket would not), and a write's callback waits for that, so writableLength counts what the
 * client has not taken yet (the watch's too-slow cut-off reads it).
 */
export class DirectResponse extends Writable implements DirectExchange {
  statusCode = 200
  headersSent = false
  private readonly fields: OutgoingHttpHeaders = {}
  private receiver: DirectReceiver | undefined
  private headDelivered = false
  private readonly objects: unknown[] = []

  constructor(
    readonly request: DirectRequest,
    receiver: DirectReceiver,
  ) {
    super({ decodeStrings: false })
    this.receiver = receiver
    // A failure on the response (a destroy with an error) ends the exchange for the client
    // (receiver.error); it does not throw in the server, as a socket's error would not.
    this.on('error', () => undefined)
  }

  setHeader(name: string, value: number | string | readonly string[]): this {
    if (this.headersSent) throw headersSentError()
    this.fields[name.toLowerCase()] = typeof value === 'object' ? [...value] : value
    return this
  }

  getHeader(name: string): number | string | string[] | undefined {
    return this.fields[name.toLowerCase()]
  }

  writeHead(statusCode: number, headers?: OutgoingHttpHeaders): this {
    if (this.headersSent) throw headersSentError()
    this.statusCode = statusCode
    for (const name in headers) {
      const v = headers[name]
      if (v !== undefined) this.fields[name.toLowerCase()] = v
    }
    this.headersSent = true
    return this
  }

  flushHeaders(): void {
    this.deliverHead()
  }

  private deliverHead(): void {
    this.headersSent = true
    if (this.headDelivered) return
    this.headDelivered = true
    this.receiver?.head(this.statusCode, this.fields)
  }

  override _write(chunk: string | Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.deliverHead()
    queueMicrotask(() => {
      this.receiver?.data(chunk)
      cb()
    })
  }

  override _writev(chunks: { chunk: string | Buffer }[], cb: (err?: Error | null) => void): void {
    this.deliverHead()
    queueMicrotask(() => {
      for (const c of chunks) this.receiver?.data(c.chunk)
      cb()
    })
  }

  override _final(cb: (err?: Error | null) => void): void {
    this.deliverHead()
    const r = this.receiver
    this.receiver = undefined
    r?.end()
    cb()
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    const r = this.receiver
    this.receiver = undefined
    r?.error(err ?? Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }))
    // The request closes with its response, as Node's does when the exchange is over.
    this.request.destroy()
    cb()
  }

  abort(): void {
    this.receiver = undefined
    this.destroy()
  }

  /** The server's side of WATCH_OBJECTS_HEADER: one more object for the client; how many wait. */
  handOver(obj: unknown): number {
    return this.objects.push(obj)
  }

  takeObject(): unknown {
    if (this.objects.length === 0) throw new Error('watch: a marker line came with no object handed over')
    return this.objects.shift()
  }
}
