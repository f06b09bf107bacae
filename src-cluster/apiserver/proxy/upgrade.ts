// pods/exec, pods/attach and pods/portforward: the client's upgrade request (WebSocket or
// SPDY/3.1) is checked, rewritten to the kubelet's path and forwarded over TLS with the API
// server's kubelet-client identity; after that the bytes flow unchanged both ways, so the
// kubelet answers the upgrade itself (as upstream's upgrade-aware proxy does).
import type { IncomingMessage } from 'node:http'
import type { ApiRequest, ApiResponse } from '../exchange'
import type { Duplex } from 'node:stream'
import { connect } from 'node:tls'
import type { ServerContext, User } from '../context'
import { kubeletClientIdentity } from '../metrics/kubelet-client'
import type { ResourceRequest } from '../request'
import { ApiError, errors, type Status } from '../status'
import { authorizeOrThrow } from '../authz/check'
import { queryBool } from '../../util/query'
import { checkContainerRunning, getPod, kubeletFor, pickContainer } from './target'
import { admitConnect } from '../admission/webhooks'

export type StreamingSubresource = 'exec' | 'attach' | 'portforward'

/** /api/v1/namespaces/NS/pods/NAME/(exec|attach|portforward) → its parts. */
export function matchPodStreamPath(pathname: string): { namespace: string; name: string; subresource: StreamingSubresource } | undefined {
  const m = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)\/(exec|attach|portforward)\/?$/.exec(pathname)
  if (!m) return undefined
  return { namespace: decodeURIComponent(m[1]!), name: decodeURIComponent(m[2]!), subresource: m[3] as StreamingSubresource }
}

const FORWARDED_HEADERS = [
  'connection',
  'upgrade',
  'sec-websocket-key',
  'sec-websocket-version',
  'sec-websocket-protocol',
  'x-stream-protocol-version',
  'user-agent',
]

function isTrue(q: URLSearchParams, k: string): boolean {
  return queryBool(q, k)
}

/** The kubelet path for a checked request (upstream's kubelet query names: input/output/error/tty). */
async function kubeletPath(ctx: ServerContext, namespace: string, name: string, sub: StreamingSubresource, q: URLSearchParams) {
  const pod = await getPod(ctx, namespace, name)
  const ns = encodeURIComponent(namespace)
  const pn = encodeURIComponent(name)
  if (sub === 'portforward') {
    if (pod.status?.phase !== 'Running') throw errors.badRequest(`pod ${name} is not running: its phase is ${pod.status?.phase ?? 'Pending'}`)
    const kl = await kubeletFor(ctx, pod)
    return { kl, path: `/portForward/${ns}/${pn}` }
  }
  const container = pickContainer(pod, q.get('container'))
  const kl = await kubeletFor(ctx, pod)
  checkContainerRunning(pod, container)
  const kq = new URLSearchParams()
  if (sub === 'exec') {
    const cmd = q.getAll('command')
    if (!cmd.length) throw errors.badRequest('you must specify at least 1 command')
    for (const c of cmd) kq.append('command', c)
  }
  const stdin = isTrue(q, 'stdin')
  const stdout = isTrue(q, 'stdout')
  const stderr = isTrue(q, 'stderr')
  const tty = isTrue(q, 'tty')
  if (!stdin && !stdout && !stderr) throw errors.badRequest('you must specify at least 1 of stdin, stdout, stderr')
  if (stdin) kq.set('input', '1')
  if (stdout) kq.set('output', '1')
  if (stderr && !tty) kq.set('error', '1')
  if (tty) kq.set('tty', '1')
  return { kl, path: `/${sub}/${ns}/${pn}/${encodeURIComponent(container)}?${kq}` }
}

function writeStatus(socket: Duplex, st: Status): void {
  const body = JSON.stringify(st)
  socket.end(
    `HTTP/1.1 ${st.code} ${st.reason ?? 'Error'}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  )
}

/**
 * The API server's `upgrade` event for pods/exec|attach|portforward. `user` is the
 * authenticated caller (undefined → 401). Other paths are answered 404.
 */
/** `resolveUser` authenticates (and applies impersonation); it may throw a 401/403 ApiError. */
export async function handleUpgrade(
  ctx: ServerContext,
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  resolveUser: () => Promise<User | undefined>,
): Promise<void> {
  socket.on('error', () => {})
  try {
    const user = await resolveUser()
    if (!user) throw errors.unauthorized()
    const url = new URL(req.url ?? '/', 'https://localhost')
    const m = matchPodStreamPath(url.pathname)
    if (!m) throw errors.notFound({ group: '', plural: 'paths' }, url.pathname)
    authorizeOrThrow(ctx, user, {
      kind: 'resource',
      verb: 'create',
      group: '',
      resource: 'pods',
      subresource: m.subresource,
      namespace: m.namespace,
      name: m.name,
    })
    await admitConnect(ctx, user, m.subresource, m.namespace, m.name, url.searchParams)
    const { kl, path } = await kubeletPath(ctx, m.namespace, m.name, m.subresource, url.searchParams)
    const id = kubeletClientIdentity(ctx.pki)
    const up = connect({
      host: kl.host,
      port: kl.port,
      ca: ctx.pki.ca.certPem,
      cert: id.certPem,
      key: id.keyPem,
      servername: /^[\d.]+$|:/.test(kl.host) ? undefined : kl.host,
    })
    await new Promise<void>((resolve, reject) => {
      up.once('secureConnect', resolve)
      up.once('error', (e) => reject(errors.unavailable(`error dialing backend: the kubelet of node ${kl.nodeName} at ${kl.host}:${kl.port}: ${e.message}`)))
    })
    const lines = [`${req.method ?? 'GET'} ${path} HTTP/1.1`, `Host: ${kl.host}:${kl.port}`]
    for (const h of FORWARDED_HEADERS) {
      const v = req.headers[h]
      if (v !== undefined) lines.push(`${h}: ${Array.isArray(v) ? v.join(', ') : v}`)
    }
    if (req.method === 'POST') lines.push('Content-Length: 0')
    up.write(lines.join('\r\n') + '\r\n\r\n')
    if (head.length) up.write(head)
    up.on('error', () => socket.destroy())
    socket.on('close', () => up.destroy())
    up.on('close', () => socket.destroy())
    socket.pipe(up)
    up.pipe(socket)
  } catch (e) {
    const st = e instanceof ApiError ? e.status : errors.internal(e instanceof Error ? e.message : String(e)).status
    if (!socket.destroyed) writeStatus(socket, st)
  }
}

function upgradeRequired(): ApiError {
  return errors.badRequest('Upgrade request required: kubectl connects with a WebSocket (v5.channel.k8s.io) or SPDY/3.1 upgrade')
}

// Plain (non-upgrade) requests to the streaming subresources: upstream answers 400 too.
export async function handlePodExec(_ctx: ServerContext, _r: ResourceRequest, _req: ApiRequest, _res: ApiResponse, _q: URLSearchParams): Promise<void> {
  throw upgradeRequired()
}
export async function handlePodAttach(_ctx: ServerContext, _r: ResourceRequest, _req: ApiRequest, _res: ApiResponse, _q: URLSearchParams): Promise<void> {
  throw upgradeRequired()
}
export async function handlePodPortForward(_ctx: ServerContext, _r: ResourceRequest, _req: ApiRequest, _res: ApiResponse, _q: URLSearchParams): Promise<void> {
  throw upgradeRequired()
}
