// Header handling of the reverse proxy: what is hop-by-hop (never forwarded), and the
// X-Forwarded-* headers that tell a backend who really called and how.
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http'

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
])

/** Copies headers without hop-by-hop ones (including those the Connection header names). */
export function endToEndHeaders(headers: IncomingHttpHeaders, keep: readonly string[] = []): OutgoingHttpHeaders {
  const listed = new Set(
    String(headers.connection ?? '')
      .split(',')
      .map((s) => s.trim().toLowerCase())
      .filter(Boolean),
  )
  const out: OutgoingHttpHeaders = {}
  for (const [k, v] of Object.entries(headers)) {
    if (v === undefined) continue
    if ((HOP_BY_HOP.has(k) || listed.has(k)) && !keep.includes(k)) continue
    out[k] = v
  }
  return out
}

export interface ClientInfo {
  /** The caller's address as we see it. */
  readonly remoteAddress: string
  readonly proto: 'http' | 'https'
  /** The port the caller connected to. */
  readonly localPort: number
}

/** Adds X-Forwarded-For/Host/Proto/Port and X-Real-IP (appending to an existing X-Forwarded-For). */
export function withForwarded(headers: OutgoingHttpHeaders, original: IncomingHttpHeaders, clientInfo: ClientInfo): OutgoingHttpHeaders {
  const ip = clientInfo.remoteAddress.startsWith('::ffff:') ? clientInfo.remoteAddress.slice(7) : clientInfo.remoteAddress
  const prior = original['x-forwarded-for']
  const priorText = Array.isArray(prior) ? prior.join(', ') : prior
  return {
    ...headers,
    'x-forwarded-for': priorText ? `${priorText}, ${ip}` : ip,
    'x-forwarded-host': original.host ?? '',
    'x-forwarded-proto': clientInfo.proto,
    'x-forwarded-port': String(clientInfo.localPort),
    'x-real-ip': ip,
  }
}

/** The request head for a raw (upgraded) connection to a backend. */
export function rawRequestHead(method: string, url: string, headers: OutgoingHttpHeaders): string {
  const lines = [`${method} ${url} HTTP/1.1`]
  for (const [k, v] of Object.entries(headers)) {
    if (v === undefined) continue
    for (const one of Array.isArray(v) ? v : [v]) lines.push(`${k}: ${String(one)}`)
  }
  return `${lines.join('\r\n')}\r\n\r\n`
}
