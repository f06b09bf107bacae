// The metrics API's data: on each request, ask the kubelets of the nodes concerned for their
// resource summaries (in parallel) and turn them into NodeMetrics / PodMetrics objects. Nodes
// whose kubelet does not answer are left out (as metrics-server does), and reported to `log`.
import type { Node, Pod } from 'kubernetes-types/core/v1'
import type { KubeObject } from '../../api/object'
import { type ServerContext } from '../context'
import { fetchSummary } from './kubelet-client'
import type { ContainerUsage, KubeletResourceSummary } from '../../kit/kubelet-summary'
import { RES } from '../../kit/resources'
import { rfc3339 } from '../../kit/time'

export const METRICS_GROUP = 'metrics.k8s.io'
export const METRICS_VERSION = 'v1beta1'
export const METRICS_API_VERSION = `${METRICS_GROUP}/${METRICS_VERSION}`
/** The sampling window reported with every item (the summaries are instantaneous). */
const WINDOW = '10s'

export interface Usage {
  readonly cpu: string
  readonly memory: string
}

export function usageOf(cpuNanoCores: number, memoryBytes: number): Usage {
  // Same units as metrics-server: nanocores and kibibytes.
  return { cpu: `${Math.max(0, Math.round(cpuNanoCores))}n`, memory: `${Math.max(0, Math.round(memoryBytes / 1024))}Ki` }
}

async function summaries(ctx: ServerContext, nodes: readonly Node[], log: (line: string) => void): Promise<Map<string, KubeletResourceSummary>> {
  const out = new Map<string, KubeletResourceSummary>()
  await Promise.all(
    nodes.map(async (n) => {
      try {
        out.set(n.metadata!.name!, await fetchSummary(ctx.pki, n))
      } catch (e) {
        log(`metrics: ${(e as Error).message}`)
      }
    }),
  )
  return out
}

export async function allNodes(ctx: ServerContext): Promise<Node[]> {
  return (await ctx.objects.list(RES.nodes, undefined)).items.map((s) => s.obj as Node)
}

export async function podsIn(ctx: ServerContext, namespace: string | undefined): Promise<Pod[]> {
  return (await ctx.objects.list(RES.pods, namespace)).items.map((s) => s.obj as Pod)
}

export async function nodeMetrics(ctx: ServerContext, nodes: readonly Node[], log: (line: string) => void): Promise<KubeObject[]> {
  const sums = await summaries(ctx, nodes, log)
  const out: KubeObject[] = []
  for (const n of nodes) {
    const s = sums.get(n.metadata!.name!)
    if (!s) continue
    out.push({
      kind: 'NodeMetrics',
      apiVersion: METRICS_API_VERSION,
      metadata: { name: n.metadata!.name, labels: n.metadata?.labels, creationTimestamp: rfc3339(ctx.now()) },
      timestamp: s.node.timestamp,
      window: WINDOW,
      usage: usageOf(s.node.cpuNanoCores, s.node.memoryWorkingSetBytes),
    })
  }
  return out
}

/** PodMetrics for `pods` (pods the API server knows), from the kubelets of the nodes they run on. */
export async function podMetrics(ctx: ServerContext, pods: readonly Pod[], log: (line: string) => void): Promise<KubeObject[]> {
  const nodeNames = new Set(pods.map((p) => p.spec?.nodeName).filter((n): n is string => !!n))
  const nodes = (await allNodes(ctx)).filter((n) => nodeNames.has(n.metadata!.name!))
  const sums = await summaries(ctx, nodes, log)
  const out: KubeObject[] = []
  for (const p of pods) {
    const s = p.spec?.nodeName ? sums.get(p.spec.nodeName) : undefined
    const u = s?.pods.find((x) => x.namespace === p.metadata?.namespace && x.name === p.metadata?.name)
    if (!s || !u) continue
    out.push({
      kind: 'PodMetrics',
      apiVersion: METRICS_API_VERSION,
      metadata: { name: p.metadata!.name, namespace: p.metadata!.namespace, labels: p.metadata?.labels, creationTimestamp: rfc3339(ctx.now()) },
      timestamp: s.node.timestamp,
      window: WINDOW,
      containers: u.containers.map((c: ContainerUsage) => ({ name: c.name, usage: usageOf(c.cpuNanoCores, c.memoryWorkingSetBytes) })),
    })
  }
  return out
}
