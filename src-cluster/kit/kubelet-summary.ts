// The resource-usage summary each node's kubelet serves at
// GET https://<InternalIP>:<kubeletEndpoint.Port>/metrics/resource/summary?node=<name>
// (the `node` parameter lets one simulated-nodes process answer for many nodes). The metrics
// API (metrics.k8s.io) is built from these summaries on each request.

export const KUBELET_SUMMARY_PATH = '/metrics/resource/summary'

export interface ContainerUsage {
  readonly name: string
  readonly cpuNanoCores: number
  readonly memoryWorkingSetBytes: number
}

export interface PodUsage {
  readonly namespace: string
  readonly name: string
  readonly containers: readonly ContainerUsage[]
}

export interface KubeletResourceSummary {
  readonly node: {
    readonly cpuNanoCores: number
    readonly memoryWorkingSetBytes: number
    /** RFC 3339 time of the sample. */
    readonly timestamp: string
  }
  readonly pods: readonly PodUsage[]
}

/** Parses and checks a summary body; throws an Error saying which field is wrong. */
export function parseSummary(text: string): KubeletResourceSummary {
  const v = JSON.parse(text) as Partial<KubeletResourceSummary> | null
  if (!v || typeof v !== 'object' || !v.node || typeof v.node.cpuNanoCores !== 'number' || typeof v.node.memoryWorkingSetBytes !== 'number') {
    throw new Error('kubelet summary: node.cpuNanoCores and node.memoryWorkingSetBytes must be numbers')
  }
  if (!Array.isArray(v.pods)) throw new Error('kubelet summary: pods must be a list')
  for (const p of v.pods) {
    if (typeof p?.namespace !== 'string' || typeof p.name !== 'string' || !Array.isArray(p.containers)) {
      throw new Error('kubelet summary: every pod needs namespace, name and containers')
    }
  }
  return v as KubeletResourceSummary
}
