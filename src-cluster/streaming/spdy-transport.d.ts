// The small part of spdy-transport@3 that KubeLab uses (the package ships no types).
declare module 'spdy-transport' {
  import type { Duplex } from 'node:stream'
  import type { EventEmitter } from 'node:events'

  export interface SpdyStream extends Duplex {
    readonly id: number
    readonly headers: Record<string, string>
    respond(status: number, headers: Record<string, string>, callback?: (err?: Error) => void): void
    abort(code?: string, callback?: () => void): void
  }

  export interface SpdyConnection extends EventEmitter {
    start(version: number): void
    request(
      uri: { method: string; path: string; host?: string; headers: Record<string, string>; readable?: boolean; writable?: boolean },
      callback?: (err: Error | null, stream: SpdyStream) => void,
    ): SpdyStream
    ping(callback?: (err?: Error) => void): void
    end(callback?: () => void): void
    destroyStreams(err?: Error): void
    setTimeout(ms: number, callback?: () => void): void
  }

  interface SpdyTransport {
    connection: {
      create(
        socket: Duplex,
        options: { protocol: 'spdy' | 'http2'; isServer: boolean; autoSpdy31?: boolean; windowSize?: number; maxChunk?: number | false },
      ): SpdyConnection
    }
    protocol: { spdy: { parser: { create(options: unknown): unknown } } }
    Stream: { prototype: Record<string, unknown> }
    Window: new (options: { id: number; isServer: boolean; recv: { size: number; max: number }; send: { size: number; max: number } }) => {
      send: object
      recv: object
    }
  }
  const transport: SpdyTransport
  export default transport
}
