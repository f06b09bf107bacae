// Synthetic resource usage for the metrics API. A pod's CPU comes from its annotation
// `kubelab.dev/simulated-cpu` (e.g. "250m", split evenly over its containers) so tests and labs
// can drive an HPA; otherwise each container uses a small fixed amount. Memory likewise from
// `kubelab.dev/simulated-memory`. Nodes add a fixed system overhead to their pods' sum.
import { parseQuantity } from '../api/quantity'
import type { KubeletResourceSummary, PodUsage } from '../kit/kubelet-summary'
import type { PodObj } from '../kit/objects'
import { rfc3339 } from '../kit/time'

export const CPU_ANNOTATION = 'kubelab.dev/simulated-cpu'
export const MEMORY_ANNOTATION = 'kubelab.dev/simulated-memory'

const DEFAULT_CONTAINER_CPU = 0.001 // 1m
const DEFAULT_CONTAINER_MEMORY = 8 * 1024 * 1024
const NODE_CPU_OVERHEAD = 0.05
const NODE_MEMORY_OVERHEAD = 256 * 1024 * 1024

function annotated(pod: PodObj, key: string): number | undefined {
  const text = pod.metadata?.annotations?.[key]
  if (!text) return undefined
  try {
    return parseQuantity(text)
  } catch {
    return undefined
  }
}

export function podUsage(pod: PodObj): PodUsage {
  const containers = pod.spec?.containers ?? []
  const n = Math.max(1, containers.length)
  const cpu = annotated(pod, CPU_ANNOTATION)
  const mem = annotated(pod, MEMORY_ANNOTATION)
  return {
    namespace: String(pod.metadata?.namespace ?? 'default'),
    name: String(pod.metadata?.name),
    containers: containers.map((c) => ({
      name: c.name,
      cpuNanoCores: Math.round((cpu !== undefined ? cpu / n : DEFAULT_CONTAINER_CPU) * 1e9),
      memoryWorkingSetBytes: Math.round(mem !== undefined ? mem / n : DEFAULT_CONTAINER_MEMORY),
    })),
  }
}

export function nodeSummary(pods: readonly PodObj[], now: Date): KubeletResourceSummary {
  const usage = pods.map(podUsage)
  let cpu = NODE_CPU_OVERHEAD * 1e9
  let mem = NODE_MEMORY_OVERHEAD
  for (const p of usage)
    for (const c of p.containers) {
      cpu += c.cpuNanoCores
      mem += c.memoryWorkingSetBytes
    }
  return { node: { cpuNanoCores: Math.round(cpu), memoryWorkingSetBytes: Math.round(mem), timestamp: rfc3339(now) }, pods: usage }
}
