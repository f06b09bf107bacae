// The request and the response as the API server's pipeline uses them: the subset of Node's
// IncomingMessage and ServerResponse that authentication, authorization, admission, the
// handlers and the watch stream touch. Node's own objects (the HTTPS port, the in-memory HTTP
// connections) satisfy it as they are; the in-process direct path (client/in-process.ts)
// implements it without HTTP/1.1 framing, so a component in this process pays no
// serialization and parsing of requests and answers.
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http'
import type { Readable, Writable } from 'node:stream'

/** The request: method, target, headers, the body as a stream, and its connection (for the peer's identity). */
export interface ApiRequest extends Readable {
  readonly method?: string | undefined
  readonly url?: string | undefined
  readonly headers: IncomingHttpHeaders
  /** The connection it came on: the key of the peer's identity (auth.ts) and of the objects handed over (WATCH_OBJECTS_HEADER). */
  readonly socket: object | null
}

/** The response: status and headers, then the body written as a stream (chunks; watches stay open). */
export interface ApiResponse extends Writable {
  statusCode: number
  readonly headersSent: boolean
  writeHead(statusCode: number, headers?: OutgoingHttpHeaders): this
  setHeader(name: string, value: number | string | readonly string[]): this
  getHeader(name: string): number | string | string[] | undefined
  flushHeaders(): void
}
