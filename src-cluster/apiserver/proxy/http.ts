// nodes/NAME/proxy/..., pods/NAME[:port]/proxy/... and services/NAME[:port]/proxy/...: plain
// HTTP(S) passed through to the node's kubelet (with the API server's kubelet-client identity),
// to a pod's IP, or to one ready endpoint of a Service, as upstream's proxy subresources do.
// Nodes that are simulated run no kubelet and no containers: they answer with a clear 400.
import type { ApiRequest, ApiResponse } from '../exchange'
import { request as httpRequest } from 'node:http'
import { request as httpsRequest } from 'node:https'
import type { Node, Pod } from 'kubernetes-types/core/v1'
import type { EndpointSlice } from 'kubernetes-types/discovery/v1'
import type { Service } from 'kubernetes-types/core/v1'
import type { ServerContext } from '../context'
import { kubeletAddress, kubeletClientIdentity } from '../metrics/kubelet-client'
import type { ResourceRequest } from '../request'
import { errors } from '../status'
import { getPod, kubeletFor } from './target'
import { RES } from '../../kit/resources'

/** Upstream's SplitSchemeNamePort: "name", "name:port" or "scheme:name:port". */
export function splitSchemeNamePort(id: string): { scheme: string; name: string; port: string } | undefined {
  const parts = id.split(':')
  if (parts.length === 1) return { scheme: '', name: parts[0]!, port: '' }
  if (parts.length === 2) return { scheme: '', name: parts[0]!, port: parts[1]! }
  if (parts.length === 3 && (parts[0] === 'http' || parts[0] === 'https' || parts[0] === '')) return { scheme: parts[0]!, name: parts[1]!, port: parts[2]! }
  return undefined
}

interface Target {
  readonly scheme: 'http' | 'https'
  readonly host: string
  readonly port: number
  /** Present the kubelet-client identity and check the CA (kubelets). */
  readonly kubelet: boolean
}

function simulatedNode(node: Node): boolean {
  return (node.status?.nodeInfo?.containerRuntimeVersion ?? '').startsWith('simulated://')
}

async function nodeTarget(ctx: ServerContext, id: string): Promise<Target> {
  const parts = splitSchemeNamePort(id)
  if (!parts || !parts.name) throw errors.badRequest(`invalid node request ${JSON.stringify(id)}: use nodes/NAME[:PORT]/proxy/PATH`)
  const cur = await ctx.objects.get(RES.nodes, undefined, parts.name)
  if (!cur) throw errors.notFound(RES.nodes, parts.name)
  const node = cur.obj as Node
  if (simulatedNode(node)) {
    throw errors.badRequest(
      `node ${parts.name} is a simulated node, which runs no kubelet: there is nothing to proxy to. Use a cluster with real nodes (kubelab create NAME --provider local) for that.`,
    )
  }
  const addr = kubeletAddress(node)
  if (!addr) throw errors.badRequest(`node ${parts.name} has no InternalIP address or kubelet port in its status: is its kubelet running?`)
  const port = parts.port ? Number(parts.port) : addr.port
  if (!Number.isInteger(port) || port <= 0 || port > 65535) throw errors.badRequest(`invalid port ${JSON.stringify(parts.port)} for node ${parts.name}`)
  return { scheme: (parts.scheme || 'https') as 'http' | 'https', host: addr.host, port, kubelet: port === addr.port }
}

function containerPortByName(pod: Pod, port: string): number | undefined {
  for (const c of pod.spec?.containers ?? []) for (const p of c.ports ?? []) if (p.name === port) return p.containerPort
  return undefined
}

async function podTarget(ctx: ServerContext, namespace: string, id: string): Promise<Target> {
  const parts = splitSchemeNamePort(id)
  if (!parts || !parts.name) throw errors.badRequest(`invalid pod request ${JSON.stringify(id)}: use pods/NAME[:PORT]/proxy/PATH`)
  const pod = await getPod(ctx, namespace, parts.name)
  await kubeletFor(ctx, pod) // the same 400 as logs for pods on simulated nodes or not yet scheduled
  const ip = pod.status?.podIP
  if (!ip) throw errors.badRequest(`address not allowed: pod ${parts.name} has no IP address yet (phase ${pod.status?.phase ?? 'Pending'})`)
  let port = 80
  if (parts.port) {
    port = /^\d+$/.test(parts.port) ? Number(parts.port) : (containerPortByName(pod, parts.port) ?? NaN)
    if (!Number.isInteger(port) || port <= 0 || port > 65535) throw errors.badRequest(`pod ${parts.name} has no port named ${JSON.stringify(parts.port)}`)
  }
  return { scheme: (parts.scheme || 'http') as 'http' | 'https', host: ip, port, kubelet: false }
}

async function serviceTarget(ctx: ServerContext, namespace: string, id: string): Promise<Target> {
  const parts = splitSchemeNamePort(id)
  if (!parts || !parts.name) throw errors.badRequest(`invalid service request ${JSON.stringify(id)}: use services/NAME[:PORT]/proxy/PATH`)
  const cur = await ctx.objects.get(RES.services, namespace, parts.name)
  if (!cur) throw errors.notFound(RES.services, parts.name)
  const svc = cur.obj as Service
  const ports = svc.spec?.ports ?? []
  const sp = parts.port ? ports.find((p) => p.name === parts.port || String(p.port) === parts.port) : ports[0]
  if (!sp) throw errors.unavailable(`no endpoints available for service "${parts.name}"`)
  const slices = (await ctx.objects.list(RES.slices, namespace)).items
    .map((s) => s.obj as unknown as EndpointSlice)
    .filter((s) => s.metadata?.labels?.['kubernetes.io/service-name'] === parts.name)
  let sawSimulated = false
  for (const slice of slices) {
    const ep = (slice.ports ?? []).find((p) => (p.name ?? '') === (sp.name ?? ''))
    if (!ep?.port) continue
    for (const e of slice.endpoints ?? []) {
      if (e.conditions?.ready === false || !e.addresses?.length) continue
      if (e.nodeName) {
        const node = await ctx.objects.get(RES.nodes, undefined, e.nodeName)
        if (node && simulatedNode(node.obj as Node)) {
          sawSimulated = true
          continue
        }
      }
      return { scheme: (parts.scheme || 'http') as 'http' | 'https', host: e.addresses[0]!, port: ep.port, kubelet: false }
    }
  }
  if (sawSimulated) {
    throw errors.badRequest(
      `service ${parts.name} has endpoints only on simulated nodes, which run no containers: there is nothing to proxy to. Use a cluster with real nodes (kubelab create NAME --provider local) for that.`,
    )
  }
  throw errors.unavailable(`no endpoints available for service "${parts.name}"`)
}

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'authorization',
  'host',
])

export async function handleHttpProxy(ctx: ServerContext, request: ResourceRequest, req: ApiRequest, res: ApiResponse, query: URLSearchParams): Promise<void> {
  const kind = request.res.plural
  const target =
    kind === 'nodes'
      ? await nodeTarget(ctx, request.name!)
      : kind === 'pods'
        ? await podTarget(ctx, request.namespace!, request.name!)
        : await serviceTarget(ctx, request.namespace!, request.name!)
  const path = '/' + request.rest.map(encodeURIComponent).join('/') + (query.toString() ? `?${query}` : '')
  const headers: Record<string, string | string[]> = {}
  for (const [k, v] of Object.entries(req.headers)) if (v !== undefined && !HOP_BY_HOP.has(k)) headers[k] = v
  const id = target.kubelet ? kubeletClientIdentity(ctx.pki) : undefined
  const opts = {
    host: target.host,
    port: target.port,
    method: req.method,
    path,
    headers,
    ...(id ? { ca: ctx.pki.ca.certPem, cert: id.certPem, key: id.keyPem } : { rejectUnauthorized: false }),
  }
  await new Promise<void>((resolve, reject) => {
    const up = (target.scheme === 'https' ? httpsRequest : httpRequest)(opts, (ures) => {
      const out: Record<string, string | string[]> = {}
      for (const [k, v] of Object.entries(ures.headers)) if (v !== undefined && !HOP_BY_HOP.has(k)) out[k] = v
      res.writeHead(ures.statusCode ?? 502, out)
      ures.pipe(res)
      ures.on('end', resolve)
      ures.on('error', () => {
        res.end()
        resolve()
      })
    })
    up.setTimeout(30_000, () => up.destroy(new Error('no answer within 30s')))
    res.on('close', () => up.destroy())
    up.on('error', (e) => {
      if (res.headersSent) {
        res.end()
        resolve()
      } else
        reject(
          errors.unavailable(
            `error trying to reach ${kind === 'nodes' ? 'the kubelet of node' : kind === 'pods' ? 'pod' : 'service'} ${request.name} at ${target.host}:${target.port}: ${e.message}`,
          ),
        )
    })
    req.pipe(up)
  })
}
