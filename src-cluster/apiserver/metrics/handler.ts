// HTTP side of metrics.k8s.io/v1beta1: routes GET requests for node and pod metrics (lists
// with label/field selectors, single items) and the group's discovery documents.
import type { ApiRequest, ApiResponse } from '../exchange'
import type { KubeObject } from '../../api/object'
import { matchLabels, parseLabelSelector, parseFieldSelector } from '../../api/selectors'
import type { ServerContext } from '../context'
import { sendJson } from '../respond'
import { errors, failure } from '../status'
import { queryBool } from '../../util/query'
import { metricsApiGroup, metricsResourceList } from './discovery'
import { allNodes, METRICS_API_VERSION, METRICS_GROUP, METRICS_VERSION, nodeMetrics, podMetrics, podsIn } from './provider'

/** True when the path (split on "/") belongs to the metrics API. */
export function isMetricsPath(segs: readonly string[]): boolean {
  return segs[0] === 'apis' && segs[1] === METRICS_GROUP
}

function selectorFilter(q: URLSearchParams, plural: 'pods' | 'nodes'): (o: KubeObject) => boolean {
  let labels: ReturnType<typeof parseLabelSelector> | undefined
  let fields: ((o: KubeObject) => boolean) | undefined
  try {
    const ls = q.get('labelSelector')
    if (ls) labels = parseLabelSelector(ls)
    const fs = q.get('fieldSelector')
    if (fs) fields = parseFieldSelector(fs, { group: '', plural })
  } catch (e) {
    throw errors.badRequest((e as Error).message)
  }
  return (o) => (!labels || matchLabels(labels, o.metadata?.labels as Record<string, string> | undefined)) && (!fields || fields(o))
}

function list(kind: string, items: KubeObject[]): Record<string, unknown> {
  return { kind, apiVersion: METRICS_API_VERSION, metadata: {}, items }
}

/**
 * Serves `/apis/metrics.k8s.io[/v1beta1[/...]]`. `segs` is the whole request path split on
 * "/" without empty parts (segs[0] === 'apis'); `query` its query string.
 */
export async function handleMetrics(
  ctx: ServerContext,
  req: ApiRequest,
  res: ApiResponse,
  segs: readonly string[],
  query: URLSearchParams,
  log: (line: string) => void = () => {},
): Promise<void> {
  const method = req.method ?? 'GET'
  if (segs.length === 2) return sendJson(req, res, 200, metricsApiGroup())
  if (segs[2] !== METRICS_VERSION) throw errors.notFound({ group: METRICS_GROUP, plural: 'versions' }, segs[2] ?? '')
  if (segs.length === 3) return sendJson(req, res, 200, metricsResourceList())
  if (method !== 'GET' && method !== 'HEAD')
    throw errors.methodNotAllowed(`${method} is not supported on metrics.k8s.io: the metrics API is read-only (get and list)`)
  if (queryBool(query, 'watch')) throw errors.methodNotAllowed('watch is not supported on metrics.k8s.io: use get or list')
  const rest = segs.slice(3)
  if (rest[0] === 'nodes' && rest.length <= 2) {
    const nodes = await allNodes(ctx)
    if (rest.length === 2) {
      const node = nodes.find((n) => n.metadata?.name === rest[1])
      const item = node ? (await nodeMetrics(ctx, [node], log))[0] : undefined
      if (!item) throw errors.notFound({ group: METRICS_GROUP, plural: 'nodemetrics' }, rest[1]!)
      return sendJson(req, res, 200, item)
    }
    const keep = selectorFilter(query, 'nodes')
    const items = await nodeMetrics(
      ctx,
      nodes.filter((n) => keep(n as KubeObject)),
      log,
    )
    return sendJson(req, res, 200, list('NodeMetricsList', items))
  }
  let namespace: string | undefined
  let tail = rest
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    namespace = rest[1]
    tail = rest.slice(2)
  }
  if (tail[0] === 'pods' && tail.length <= 2) {
    const pods = await podsIn(ctx, namespace)
    if (tail.length === 2) {
      if (!namespace) throw errors.badRequest('a single PodMetrics is read from /apis/metrics.k8s.io/v1beta1/namespaces/NAMESPACE/pods/NAME')
      const pod = pods.find((p) => p.metadata?.name === tail[1])
      const item = pod ? (await podMetrics(ctx, [pod], log))[0] : undefined
      if (!item) throw errors.notFound({ group: METRICS_GROUP, plural: 'podmetrics' }, tail[1]!)
      return sendJson(req, res, 200, item)
    }
    const keep = selectorFilter(query, 'pods')
    const items = await podMetrics(
      ctx,
      pods.filter((p) => keep(p as KubeObject) && p.status?.phase === 'Running'),
      log,
    )
    return sendJson(req, res, 200, list('PodMetricsList', items))
  }
  throw failure(404, 'NotFound', `the server could not find the requested resource (${segs.join('/')}): metrics.k8s.io serves nodes and pods`)
}
