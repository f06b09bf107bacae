// The HTTPS API client: JSON requests over keep-alive connections, plus watch streams of
// newline-delimited JSON on a separate agent so long-lived watches never take the sockets that
// ordinary requests need.
import { Agent, request as httpsRequest, type RequestOptions } from 'node:https'
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http'
import type { Duplex } from 'node:stream'
import { createSecureContext } from 'node:tls'
import type { KubeObject } from '../api/object'
import { ApiClientError, errorFromResponse, networkError } from './errors'
import { StringDecoder } from 'node:string_decoder'
import { takeWatchObject, WATCH_OBJECT_MARK, WATCH_OBJECTS_HEADER, type DirectDispatch } from './in-process'
import { apiVersionOfRef, queryString, resourcePath } from './resources'
import type {
  AnswerUnread,
  Client,
  ClientConfig,
  DeleteOpts,
  ListOptions,
  ObjectList,
  PatchKind,
  ResourceRef,
  WatchEventOf,
  WatchHandle,
  WatchOptions,
  WriteOptions,
} from './types'
import { managerOfUserAgent } from './user-agent'

/** A Client that also owns its connections: close() frees them (idle sockets never hold the process open). */
export interface ClosableClient extends Client {
  close(): void
}

const PATCH_TYPES: Record<PatchKind, string> = {
  merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  json: 'application/json-patch+json',
  apply: 'application/apply-patch+yaml',
}

/** Ordinary requests that get no answer in this long are abandoned (watches have no such limit). */
const REQUEST_TIMEOUT_MS = 60_000

interface RawResponse {
  status: number
  body: string
}

interface Connections {
  readonly agent: HttpAgent
  readonly watchAgent: HttpAgent
}

/** The connection pools of each client made here, for withUserAgent. */
const connectionsOf = new WeakMap<Client, Connections>()

/**
 * Another client on the same connections (same server and credentials), sending another user
 * agent (which names its writes' field manager): components in one process (the node agent)
 * share one pool of connections per identity. Its close() leaves the connections to `base`.
 */
export function withUserAgent(base: ClosableClient, userAgent: string): ClosableClient {
  const shared = connectionsOf.get(base)
  if (!shared) throw new Error('withUserAgent: the base client was not made by createClient')
  return createClient({ ...base.config, userAgent }, shared)
}

/**
 * Agents whose connections are in-memory streams to the API server in this process (the
 * in-process transport): plain HTTP/1.1 over them, no TLS.
 */
function inProcessAgents(connect: () => Duplex): Connections {
  const agent = new HttpAgent({ keepAlive: true, maxSockets: 64, maxFreeSockets: 64 })
  const watchAgent = new HttpAgent({ keepAlive: false, maxSockets: Infinity })
  for (const a of [agent, watchAgent]) (a as unknown as { createConnection: () => Duplex }).createConnection = connect
  return { agent, watchAgent }
}

export function createClient(cfg: ClientConfig, shared?: Connections): ClosableClient {
  const url = new URL(cfg.server)
  if (url.protocol !== 'https:') throw new Error(`API server address ${cfg.server} must start with https://`)
  const dispatch = cfg.dispatch
  const inProcess = cfg.connect !== undefined || dispatch !== undefined
  const request = inProcess ? httpRequest : httpsRequest
  // One TLS context for every connection (tls.connect would otherwise parse the CA, certificate
  // and key again for each new socket).
  const tls = shared || inProcess ? undefined : { ca: cfg.caPem, cert: cfg.certPem, key: cfg.keyPem }
  const secure = tls && { ...tls, secureContext: createSecureContext(tls) }
  // The direct path opens no connections: its agents stay empty.
  const local = !shared && inProcess ? (cfg.connect ? inProcessAgents(cfg.connect) : idleAgents()) : undefined
  // Many controllers share one client: enough sockets that a burst of writes does not queue, all
  // kept once open (as client-go keeps one HTTP/2 connection) rather than a new handshake for
  // each request past the idle pool.
  const sockets = cfg.maxSockets ?? 64
  const agent: HttpAgent = shared?.agent ?? local?.agent ?? new Agent({ ...secure, keepAlive: true, maxSockets: sockets, maxFreeSockets: sockets })
  // One socket per watch; unlimited so a component with many informers never starves.
  const watchAgent: HttpAgent = shared?.watchAgent ?? local?.watchAgent ?? new Agent({ ...secure, keepAlive: false, maxSockets: Infinity })
  const server = cfg.server.replace(/\/+$/, '')

  function baseOptions(method: string, path: string, headers: Record<string, string>, a: HttpAgent): RequestOptions {
    const h: Record<string, string> = { Accept: 'application/json', 'User-Agent': cfg.userAgent ?? 'kubelab-client', ...headers }
    if (cfg.token) h.Authorization = `Bearer ${cfg.token}`
    return { method, hostname: url.hostname, port: url.port || 443, path, headers: h, agent: a, servername: isIp(url.hostname) ? undefined : url.hostname }
  }

  /** The headers an HTTP request of ours carries, as Node's client writes them (Host included). */
  function directHeaders(headers: Record<string, string>): Record<string, string> {
    const h: Record<string, string> = { Host: url.host, Accept: 'application/json', 'User-Agent': cfg.userAgent ?? 'kubelab-client', ...headers }
    if (cfg.token) h.Authorization = `Bearer ${cfg.token}`
    return h
  }

  /** send() on the direct path: the same request handed to the server in this process, the answer's status and body collected. */
  function sendDirect(
    to: DirectDispatch,
    method: string,
    path: string,
    body: string | undefined,
    headers: Record<string, string>,
    unread: boolean,
  ): Promise<RawResponse> {
    return new Promise((resolve, reject) => {
      const h = directHeaders(headers)
      if (body !== undefined) h['Content-Length'] = String(Buffer.byteLength(body))
      let status = 0
      const chunks: (string | Buffer)[] = []
      const timer = setTimeout(() => {
        exchange.abort()
        reject(networkError(server, Object.assign(new Error('no answer in time'), { code: 'ETIMEDOUT' })))
      }, REQUEST_TIMEOUT_MS)
      const exchange = to(
        { method, url: path, headers: h, body },
        {
          head: (code) => (status = code),
          // An accepted answer nobody reads is not kept; a refusal's Status is.
          data: (c) => {
            if (!unread || status < 200 || status >= 300) chunks.push(c)
          },
          end: () => {
            clearTimeout(timer)
            resolve({ status, body: joinChunks(chunks) })
          },
          error: (e) => {
            clearTimeout(timer)
            reject(networkError(server, e))
          },
        },
      )
    })
  }

  function send(method: string, path: string, body: string | undefined, headers: Record<string, string>, unread = false): Promise<RawResponse> {
    if (dispatch) return sendDirect(dispatch, method, path, body, headers, unread)
    return new Promise((resolve, reject) => {
      const h = { ...headers }
      if (body !== undefined) h['Content-Length'] = String(Buffer.byteLength(body))
      const req = request(baseOptions(method, path, h, agent), (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }))
        res.on('error', (e) => reject(networkError(server, e)))
      })
      req.setTimeout(REQUEST_TIMEOUT_MS, () => req.destroy(Object.assign(new Error('no answer in time'), { code: 'ETIMEDOUT' })))
      req.on('error', (e) => reject(networkError(server, e)))
      req.end(body)
    })
  }

  async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}, unread = false): Promise<RawResponse> {
    const text = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body)
    const h = text !== undefined && !headers['Content-Type'] ? { ...headers, 'Content-Type': 'application/json' } : headers
    try {
      return await send(method, path, text, h, unread)
    } catch (e) {
      // A kept-alive socket the server closed (e.g. it restarted) fails on reuse: reads are safe to retry once.
      if (method === 'GET' && e instanceof ApiClientError && e.code === 0 && /reset|closed/.test(e.message)) return send(method, path, text, h)
      throw e
    }
  }

  async function json<T>(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<T> {
    const r = await call(method, path, body, headers)
    if (r.status < 200 || r.status >= 300) throw errorFromResponse(r.status, r.body, `${method} ${path}`)
    return (r.body ? JSON.parse(r.body) : {}) as T
  }

  /** A write whose answer is not read (AnswerUnread): a refusal throws as json's does; an acceptance's body is left unparsed. */
  async function accepted(method: string, path: string, body: unknown, headers?: Record<string, string>): Promise<void> {
    const r = await call(method, path, body, headers, true)
    if (r.status < 200 || r.status >= 300) throw errorFromResponse(r.status, r.body, `${method} ${path}`)
  }

  /** json, or accepted when the caller said it does not read the answer. */
  function write<T>(opts: Partial<AnswerUnread> | undefined, method: string, path: string, body: unknown, headers?: Record<string, string>): Promise<T | void> {
    return opts?.readAnswer === false ? accepted(method, path, body, headers) : json<T>(method, path, body, headers)
  }

  // The writes, each with AnswerUnread's overload (Client's): a function can carry overloads, an object literal's method cannot.
  function create(res: ResourceRef, namespace: string | undefined, obj: KubeObject, opts: WriteOptions & AnswerUnread): Promise<void>
  function create<T extends KubeObject>(res: ResourceRef, namespace: string | undefined, obj: KubeObject, opts?: WriteOptions): Promise<T>
  function create<T extends KubeObject>(
    res: ResourceRef,
    namespace: string | undefined,
    obj: KubeObject,
    opts?: WriteOptions & Partial<AnswerUnread>,
  ): Promise<T | void> {
    const ns = namespace ?? obj.metadata?.namespace
    const path = opts?.subresource ? resourcePath(res, ns, obj.metadata?.name ?? '', opts.subresource) : resourcePath(res, ns)
    return write<T>(opts, 'POST', path + writeQuery(opts), withTypeMeta(res, obj))
  }

  function update<T extends KubeObject>(res: ResourceRef, obj: T, opts: WriteOptions & AnswerUnread): Promise<void>
  function update<T extends KubeObject>(res: ResourceRef, obj: T, opts?: WriteOptions): Promise<T>
  function update<T extends KubeObject>(res: ResourceRef, obj: T, opts?: WriteOptions & Partial<AnswerUnread>): Promise<T | void> {
    const path = resourcePath(res, obj.metadata?.namespace, obj.metadata?.name ?? '', opts?.subresource)
    return write<T>(opts, 'PUT', path + writeQuery(opts), withTypeMeta(res, obj))
  }

  function patch(
    res: ResourceRef,
    namespace: string | undefined,
    name: string,
    body: unknown,
    kind: PatchKind,
    opts: WriteOptions & AnswerUnread,
  ): Promise<void>
  function patch<T extends KubeObject>(
    res: ResourceRef,
    namespace: string | undefined,
    name: string,
    body: unknown,
    kind: PatchKind,
    opts?: WriteOptions,
  ): Promise<T>
  function patch<T extends KubeObject>(
    res: ResourceRef,
    namespace: string | undefined,
    name: string,
    body: unknown,
    kind: PatchKind,
    opts?: WriteOptions & Partial<AnswerUnread>,
  ): Promise<T | void> {
    const fieldManager = opts?.fieldManager ?? (kind === 'apply' ? managerOfUserAgent(cfg.userAgent ?? 'kubelab-client') : undefined)
    const q = queryString({ dryRun: opts?.dryRun ? 'All' : undefined, fieldManager, force: kind === 'apply' ? true : undefined })
    return write<T>(opts, 'PATCH', resourcePath(res, namespace, name, opts?.subresource) + q, body, { 'Content-Type': PATCH_TYPES[kind] })
  }

  function createSubresource(
    res: ResourceRef,
    namespace: string | undefined,
    name: string,
    subresource: string,
    body: unknown,
    opts: AnswerUnread,
  ): Promise<void>
  function createSubresource<T>(res: ResourceRef, namespace: string | undefined, name: string, subresource: string, body: unknown): Promise<T>
  function createSubresource<T>(
    res: ResourceRef,
    namespace: string | undefined,
    name: string,
    subresource: string,
    body: unknown,
    opts?: AnswerUnread,
  ): Promise<T | void> {
    return write<T>(opts, 'POST', resourcePath(res, namespace, name, subresource), body)
  }

  function writeQuery(opts?: WriteOptions): string {
    return queryString({ dryRun: opts?.dryRun ? 'All' : undefined, fieldManager: opts?.fieldManager })
  }

  function withTypeMeta<T extends KubeObject>(res: ResourceRef, obj: T): T {
    // Lists leave apiVersion/kind off their items; controllers need them (owner references, events).
    if (obj.apiVersion && obj.kind) return obj
    return { ...obj, apiVersion: obj.apiVersion ?? apiVersionOfRef(res), kind: obj.kind ?? res.kind }
  }

  const client: ClosableClient = {
    config: cfg,

    async get<T extends KubeObject>(res: ResourceRef, namespace: string | undefined, name: string, opts?: { subresource?: string }): Promise<T | undefined> {
      const path = resourcePath(res, namespace, name, opts?.subresource)
      const r = await call('GET', path)
      if (r.status === 404) return undefined
      if (r.status !== 200) throw errorFromResponse(r.status, r.body, `GET ${path}`)
      return JSON.parse(r.body) as T
    },

    async list<T extends KubeObject>(res: ResourceRef, opts: ListOptions = {}): Promise<ObjectList<T>> {
      const q = queryString({
        labelSelector: opts.labelSelector,
        fieldSelector: opts.fieldSelector,
        limit: opts.limit,
        continue: opts.continue,
        resourceVersion: opts.resourceVersion,
      })
      const out = await json<{ items?: T[]; metadata?: { resourceVersion?: string; continue?: string } }>('GET', resourcePath(res, opts.namespace) + q)
      return {
        items: (out.items ?? []).map((o) => withTypeMeta(res, o)),
        resourceVersion: out.metadata?.resourceVersion ?? '',
        continue: out.metadata?.continue || undefined,
      }
    },

    create,
    update,
    patch,

    async delete(res: ResourceRef, namespace: string | undefined, name: string, opts: DeleteOpts = {}): Promise<boolean> {
      const path = resourcePath(res, namespace, name)
      const body = { kind: 'DeleteOptions', apiVersion: 'v1', ...opts }
      const r = await call('DELETE', path, body)
      if (r.status === 404) return false
      if (r.status < 200 || r.status >= 300) throw errorFromResponse(r.status, r.body, `DELETE ${path}`)
      return true
    },

    createSubresource,

    watch<T extends KubeObject>(res: ResourceRef, opts: WatchOptions, onEvent: (ev: WatchEventOf<T>) => void): WatchHandle {
      const q = queryString({
        watch: 'true',
        labelSelector: opts.labelSelector,
        fieldSelector: opts.fieldSelector,
        resourceVersion: opts.resourceVersion,
        allowWatchBookmarks: opts.allowWatchBookmarks ? 'true' : undefined,
        timeoutSeconds: opts.timeoutSeconds,
      })
      return openWatch<T>(resourcePath(res, opts.namespace) + q, onEvent, inProcess && opts.readOnlyObjects === true)
    },

    request<T>(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<T> {
      return json<T>(method, path, body, headers)
    },

    close() {
      if (shared) return
      agent.destroy()
      watchAgent.destroy()
    },
  }
  connectionsOf.set(client, { agent, watchAgent })

  function openWatch<T extends KubeObject>(path: string, onEvent: (ev: WatchEventOf<T>) => void, objects: boolean): WatchHandle {
    let settle: { resolve: () => void; reject: (e: unknown) => void } | undefined
    const done = new Promise<void>((resolve, reject) => (settle = { resolve, reject }))
    // Callers may not await done; a rejection must not become an unhandled one.
    done.catch(() => {})
    let finished = false
    const finish = (err?: unknown): void => {
      if (finished) return
      finished = true
      if (err) settle?.reject(err)
      else settle?.resolve()
      stopConnection()
    }
    let stopConnection = (): void => undefined

    let buf = ''
    /** Newline-delimited events as they arrive; `take` gives a marker line's object (WATCH_OBJECTS_HEADER). */
    const onText = (chunk: string, take: () => unknown): void => {
      buf += chunk
      let nl: number
      while (!finished && (nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl).trim()
        buf = buf.slice(nl + 1)
        if (!line) continue
        let ev: WatchEventOf<T>
        try {
          ev =
            objects && line.startsWith(WATCH_OBJECT_MARK) ? ({ type: line.slice(1), object: take() } as WatchEventOf<T>) : (JSON.parse(line) as WatchEventOf<T>)
        } catch {
          finish(new ApiClientError(0, 'BadResponse', `watch ${path}: the server sent a line that is not JSON: ${line.slice(0, 200)}`))
          return
        }
        try {
          onEvent(ev)
        } catch (e) {
          finish(e)
          return
        }
        // After an ERROR event the server ends the stream; so do we.
        if (ev.type === 'ERROR') finish()
      }
    }
    const headers: Record<string, string> = objects ? { [WATCH_OBJECTS_HEADER]: '1' } : {}

    if (dispatch) {
      let status = 0
      const failed: (string | Buffer)[] = []
      const decoder = new StringDecoder('utf8')
      const take = (): unknown => exchange.takeObject()
      const exchange = dispatch(
        { method: 'GET', url: path, headers: directHeaders(headers) },
        {
          head: (code) => (status = code),
          data: (c) => {
            if (status !== 200) failed.push(c)
            else onText(typeof c === 'string' ? c : decoder.write(c), take)
          },
          end: () => finish(status === 200 ? undefined : errorFromResponse(status, joinChunks(failed), `watch ${path}`)),
          error: (e) => finish(networkError(server, e)),
        },
      )
      stopConnection = () => exchange.abort()
      return { stop: () => finish(), done }
    }

    const req = request(baseOptions('GET', path, headers, watchAgent), (res: IncomingMessage) => {
      if (res.statusCode !== 200) {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () => finish(errorFromResponse(res.statusCode ?? 0, Buffer.concat(chunks).toString('utf8'), `watch ${path}`)))
        res.on('error', (e) => finish(networkError(server, e)))
        return
      }
      res.socket?.setKeepAlive(true, 30_000)
      res.setEncoding('utf8')
      const take = (): unknown => takeWatchObject(res.socket)
      res.on('data', (chunk: string) => onText(chunk, take))
      res.on('end', () => finish())
      res.on('close', () => finish())
      res.on('error', (e) => finish(networkError(server, e)))
    })
    stopConnection = () => req.destroy()
    req.on('error', (e) => finish(finished ? undefined : networkError(server, e)))
    req.end()
    return {
      stop: () => finish(),
      done,
    }
  }

  return client
}

/** Agents that never connect (a client on the direct path keeps the Connections shape for withUserAgent). */
function idleAgents(): Connections {
  return { agent: new HttpAgent({ keepAlive: true }), watchAgent: new HttpAgent({ keepAlive: false }) }
}

/** A response body from its chunks (strings and bytes, as the server wrote them). */
function joinChunks(chunks: readonly (string | Buffer)[]): string {
  if (chunks.length === 1 && typeof chunks[0] === 'string') return chunks[0]
  return Buffer.concat(chunks.map((c) => (typeof c === 'string' ? Buffer.from(c) : c))).toString('utf8')
}

function isIp(host: string): boolean {
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(host) || host.includes(':')
}
