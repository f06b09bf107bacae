// The in-process transport's wire: a pair of connected in-memory streams that stand in for a
// loopback socket between a client and the API server living in the same process. HTTP/1.1 still
// runs over it (the server's whole request pipeline — authentication, authorization, admission,
// audit, watch — sees an ordinary request), but there is no TLS, no kernel socket and no
// OpenSSL buffers per connection.
import { Duplex } from 'node:stream'

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
 * The server's side of WATCH_OBJECTS_HEADER: how to hand an object to the client at the other
 * end of `socket` (returns how many wait there), or undefined when `socket` is no in-process
 * connection.
 */
export function watchObjectSink(socket: unknown): ((obj: unknown) => number) | undefined {
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
