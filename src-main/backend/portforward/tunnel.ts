// The SPDY/3.1 connection to the API server's pods/portforward for one forward: a POST with
// `Upgrade: SPDY/3.1` and `X-Stream-Protocol-Version: portforward.k8s.io` (kubectl's direct
// transport). Each local TCP connection gets a pair of streams (error, data) sharing one
// `requestid`, as kubectl opens them. A refused upgrade becomes an error value carrying the
// API server's own message (pod not running, simulated node, ...).
import { request as httpRequest, type IncomingMessage } from 'node:http'
import { request as httpsRequest } from 'node:https'
import type { Socket } from 'node:net'
import type { ClientConfig } from '../../../src-cluster/client'
import { openStream, spdyClient, SPDY_PORTFORWARD, type SpdyConnection, type SpdyStream } from '../../../src-cluster/streaming'
import { CodedError } from '../../contract/errors'

export interface ForwardStreams {
  /** Bytes to and from the pod port. */
  data: SpdyStream
  /** Text the far side writes when it cannot carry this connection (e.g. connection refused). */
  error: SpdyStream
}

export interface ForwardTunnel {
  /** Opens the error and data streams for one connection to `port` on the pod. */
  open(port: number): Promise<ForwardStreams>
  readonly closed: boolean
  close(): void
}

export function portForwardPath(namespace: string, pod: string): string {
  return `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(pod)}/portforward`
}

/** The `message` of a Status body, else the body's first characters. */
export function statusMessage(body: string): string {
  try {
    const s = JSON.parse(body) as { message?: unknown }
    if (typeof s.message === 'string' && s.message) return s.message
  } catch {
    // not JSON: fall through to the raw text
  }
  return body.trim().slice(0, 300) || '(empty answer)'
}

export function dialPortForward(config: ClientConfig, namespace: string, pod: string): Promise<ForwardTunnel> {
  const url = new URL(portForwardPath(namespace, pod), config.server)
  const headers: Record<string, string> = {
    Connection: 'Upgrade',
    Upgrade: 'SPDY/3.1',
    'X-Stream-Protocol-Version': SPDY_PORTFORWARD,
    'User-Agent': config.userAgent ?? 'kubelab-desktop',
    'Content-Length': '0',
  }
  if (config.token) headers.Authorization = `Bearer ${config.token}`
  const isIp = /^[\d.]+$|:/.test(url.hostname)
  const req = (url.protocol === 'https:' ? httpsRequest : httpRequest)({
    method: 'POST',
    host: url.hostname,
    port: url.port || (url.protocol === 'https:' ? 443 : 80),
    path: url.pathname,
    headers,
    ca: config.caPem || undefined,
    cert: config.certPem,
    key: config.keyPem,
    servername: isIp ? undefined : url.hostname,
    timeout: 15_000,
  })
  return new Promise<ForwardTunnel>((resolve, reject) => {
    req.on('upgrade', (_res: IncomingMessage, socket: Socket, head: Buffer) => {
      socket.setTimeout(0)
      if (head.length) socket.unshift(head)
      resolve(tunnelOver(spdyClient(socket), socket))
    })
    req.on('response', (res: IncomingMessage) => {
      const chunks: Buffer[] = []
      res.on('data', (d: Buffer) => chunks.push(d))
      res.on('end', () => {
        const msg = statusMessage(Buffer.concat(chunks).toString('utf8'))
        reject(new CodedError('portforward_refused', `the API server refused to forward to pod ${namespace}/${pod} (HTTP ${res.statusCode}): ${msg}`))
      })
    })
    req.on('timeout', () => req.destroy(new Error('no answer within 15 s')))
    req.on('error', (e) => reject(new CodedError('unreachable', `cannot reach the API server at ${config.server} for a port-forward: ${e.message}`)))
    req.end()
  })
}

function tunnelOver(conn: SpdyConnection, socket: Socket): ForwardTunnel {
  let closed = false
  let requestId = 0
  const markClosed = (): void => {
    closed = true
  }
  socket.on('close', markClosed)
  socket.on('error', markClosed)
  conn.on('error', markClosed)
  return {
    get closed() {
      return closed
    },
    async open(port) {
      if (closed) throw new Error('the port-forward connection to the API server is closed')
      const id = String(requestId++)
      // kubectl's order: the error stream first, then data.
      const error = await openStream(conn, { streamtype: 'error', port: String(port), requestid: id })
      const data = await openStream(conn, { streamtype: 'data', port: String(port), requestid: id }).catch((e: unknown) => {
        error.destroy()
        throw e
      })
      return { data, error }
    },
    close() {
      closed = true
      socket.destroy()
    },
  }
}
