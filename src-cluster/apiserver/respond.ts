// Writing answers: JSON (or YAML when asked), Warning headers, Status errors.
import type { ApiRequest, ApiResponse } from './exchange'
import { gzip } from 'node:zlib'
import { stringify } from 'yaml'
import { negotiated } from './negotiate'
import { ApiError, errors, failure, type Status } from './status'
import { StoreError } from '../store/types'
import { requestWarnings } from './warnings'

export function wantsTable(req: ApiRequest): boolean {
  return negotiated(req).as === 'Table'
}

function wantsYaml(req: ApiRequest): boolean {
  const accept = req.headers.accept ?? ''
  return accept.startsWith('application/yaml') && !accept.includes('application/json')
}

export function checkAcceptable(req: ApiRequest): void {
  const accept = (req.headers.accept ?? '').trim()
  if (!accept) return
  const ok = accept.split(',').some((a) => {
    const mt = a.split(';')[0]!.trim()
    return mt === 'application/json' || mt === '*/*' || mt === 'application/*' || mt === 'application/yaml'
  })
  if (!ok) throw errors.notAcceptable(accept)
}

// Upstream's warning recorder (endpoints/filters/warning.go): up to 4096 runes of warnings in
// all; past that every warning is cut to 256 runes and no more are added once 4096 are written,
// so a body with huge unknown field names cannot grow the response headers without bound.
const WARNINGS_TOTAL_RUNES = 4 * 1024
const WARNING_ITEM_RUNES = 256

export function warningHeader(warnings: readonly string[]): string[] {
  const unique = [...new Set(warnings)]
  const runes = unique.map((w) => [...w])
  // Go writes the UTF-8 bytes as they are; Node takes header values as Latin-1, one byte a character.
  const header = (w: string) => `299 - ${Buffer.from(JSON.stringify(w), 'utf8').toString('latin1')}`
  if (runes.reduce((n, r) => n + r.length, 0) <= WARNINGS_TOTAL_RUNES) return unique.map(header)
  const out: string[] = []
  let written = 0
  for (const r of runes) {
    if (written >= WARNINGS_TOTAL_RUNES) break
    const cut = r.slice(0, WARNING_ITEM_RUNES)
    written += cut.length
    out.push(header(cut.join('')))
  }
  return out
}

export function sendJson(req: ApiRequest, res: ApiResponse, code: number, body: unknown, warnings: readonly string[] = []): void {
  if (res.headersSent) {
    res.end()
    return
  }
  const yaml = wantsYaml(req)
  sendText(req, res, code, yaml, yaml ? stringify(body) : JSON.stringify(body), warnings)
}

/** Like sendJson, for a body already serialized as JSON (the watch cache's encodings). */
export function sendJsonText(req: ApiRequest, res: ApiResponse, code: number, json: string): void {
  if (res.headersSent) {
    res.end()
    return
  }
  if (wantsYaml(req)) sendText(req, res, code, true, stringify(JSON.parse(json)), [])
  else sendText(req, res, code, false, json, [])
}

/** Like sendJsonText, for JSON sent as the concatenation of `parts` (strings and UTF-8 bytes), not copied into one string first. */
export function sendJsonParts(req: ApiRequest, res: ApiResponse, code: number, parts: readonly (string | Buffer)[]): void {
  if (res.headersSent) {
    res.end()
    return
  }
  const bytes = parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : p))
  if (wantsYaml(req)) sendJsonText(req, res, code, Buffer.concat(bytes).toString())
  else sendText(req, res, code, false, bytes, [])
}

function sendText(req: ApiRequest, res: ApiResponse, code: number, yaml: boolean, text: string | readonly Buffer[], warnings: readonly string[]): void {
  const headers: Record<string, string | string[]> = {
    'Content-Type': yaml ? 'application/yaml' : 'application/json',
    'Cache-Control': 'no-cache, private',
  }
  const all = [...new Set([...warnings, ...requestWarnings(req)])]
  if (all.length) headers['Warning'] = warningHeader(all)
  const length = typeof text === 'string' ? Buffer.byteLength(text) : text.reduce((n, b) => n + b.length, 0)
  if (length > GZIP_THRESHOLD_BYTES && acceptsGzip(req)) {
    headers['Content-Encoding'] = 'gzip'
    headers['Vary'] = 'Accept-Encoding'
    res.writeHead(code, headers)
    if (req.method === 'HEAD') {
      res.end()
      return
    }
    // Compressed on libuv's thread pool: the event loop goes on serving while a large list is packed.
    gzip(typeof text === 'string' ? text : Buffer.concat(text, length), { level: 1 }, (err, packed) => {
      if (err) res.destroy(err)
      else res.end(packed)
    })
    return
  }
  if (typeof text === 'string') {
    res.writeHead(code, headers)
    res.end(req.method === 'HEAD' ? undefined : text)
    return
  }
  if (req.method === 'HEAD') {
    res.writeHead(code, headers)
    res.end()
    return
  }
  // As res.end(text) would have sent it: with its length, not chunked.
  headers['Content-Length'] = String(length)
  res.writeHead(code, headers)
  res.cork()
  for (const b of text) res.write(b)
  res.end()
}

/** Upstream compresses answers larger than this when the client accepts gzip. */
export const GZIP_THRESHOLD_BYTES = 128 * 1024

function acceptsGzip(req: ApiRequest): boolean {
  const ae = req.headers['accept-encoding']
  if (!ae) return false
  return ae.split(',').some((part) => {
    const [coding, ...params] = part.split(';').map((s) => s.trim().toLowerCase())
    if (coding !== 'gzip' && coding !== '*') return false
    const qv = params.find((p) => p.startsWith('q='))
    return !qv || Number(qv.slice(2)) > 0
  })
}

export function sendStatus(req: ApiRequest, res: ApiResponse, status: Status): void {
  sendJson(req, res, status.code, status)
}

export function sendError(req: ApiRequest, res: ApiResponse, err: unknown): void {
  if (err instanceof ApiError) {
    sendStatus(req, res, err.status)
    return
  }
  const msg = err instanceof Error ? err.message : String(err)
  if (err instanceof StoreError && err.code === 'unavailable') {
    // etcd down or without quorum: the client may retry, as with kube-apiserver's 503s.
    console.error(`apiserver: ${req.method} ${req.url}: ${msg}`)
    sendStatus(req, res, errors.unavailable(msg).status)
    return
  }
  if (err instanceof StoreError && err.code === 'no-space') {
    // As kube-apiserver passes etcd's quota error on: a 500 whose message is the store's.
    sendStatus(req, res, failure(500, '', msg).status)
    return
  }
  // Unexpected: keep the details in the server log, tell the client what happened.
  console.error(`apiserver: ${req.method} ${req.url}: ${err instanceof Error ? err.stack : msg}`)
  sendStatus(req, res, errors.internal(msg).status)
}

/** Like sendJsonText, with the write's warnings (a write answered with the watch cache's encoding). */
export function sendJsonTextWarned(req: ApiRequest, res: ApiResponse, code: number, json: string, warnings: readonly string[]): void {
  if (res.headersSent) {
    res.end()
    return
  }
  if (wantsYaml(req)) sendText(req, res, code, true, stringify(JSON.parse(json)), warnings)
  else sendText(req, res, code, false, json, warnings)
}
