// The resource summary the metrics API reads from each kubelet: per-container CPU and memory
// from CRI ListContainerStats, node totals from /proc.
import { readFileSync } from 'node:fs'
import type { KubeletResourceSummary, PodUsage } from '../kit/kubelet-summary'
import type { CriClient } from './cri/client'
import { LABEL_CONTAINER_NAME, LABEL_POD_NAME, LABEL_POD_NAMESPACE } from './spec'
import { rfc3339 } from '../kit/time'
import { realClock, type Clock } from '../util/clock'

/** CPU time of the whole machine from /proc/stat, in nanoseconds of busy time. */
function busyNanos(): { busy: number; at: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? ''
  const f = line.trim().split(/\s+/).slice(1).map(Number)
  const idle = (f[3] ?? 0) + (f[4] ?? 0)
  const total = f.reduce((a, b) => a + b, 0)
  // USER_HZ is 100 on Linux: one tick is 10 ms
  return { busy: (total - idle) * 10_000_000, at: process.hrtime.bigint() > 0n ? Number(process.hrtime.bigint()) : Date.now() * 1e6 }
}

function memoryWorkingSet(): number {
  const m = readFileSync('/proc/meminfo', 'utf8')
  const kb = (k: string): number => Number(new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(m)?.[1] ?? 0)
  return (kb('MemTotal') - kb('MemAvailable')) * 1024
}

export class StatsProvider {
  private last = busyNanos()
  private lastNodeCpu = 0

  constructor(
    private readonly cri: CriClient,
    private readonly clock: Clock = realClock,
  ) {}

  async summary(): Promise<KubeletResourceSummary> {
    const now = busyNanos()
    const dt = now.at - this.last.at
    if (dt > 50_000_000) {
      this.lastNodeCpu = Math.max(0, Math.round(((now.busy - this.last.busy) / dt) * 1e9))
      this.last = now
    }
    // the runtime also reports finished containers (init containers, earlier runs): only running ones use resources
    const [stats, running] = await Promise.all([this.cri.listContainerStats(), this.cri.listContainers({ state: { state: 'CONTAINER_RUNNING' } })])
    const live = new Set(running.map((c) => c.id))
    const pods = new Map<string, { namespace: string; name: string; containers: { name: string; cpuNanoCores: number; memoryWorkingSetBytes: number }[] }>()
    for (const s of stats) {
      const l = s.attributes?.labels ?? {}
      const ns = l[LABEL_POD_NAMESPACE]
      const name = l[LABEL_POD_NAME]
      if (!ns || !name || !live.has(s.attributes?.id ?? '')) continue
      const key = `${ns}/${name}`
      const p = pods.get(key) ?? { namespace: ns, name, containers: [] }
      p.containers.push({
        name: l[LABEL_CONTAINER_NAME] ?? s.attributes?.metadata?.name ?? '',
        cpuNanoCores: s.cpu?.usageNanoCores?.value ?? 0,
        memoryWorkingSetBytes: s.memory?.workingSetBytes?.value ?? 0,
      })
      pods.set(key, p)
    }
    return {
      node: { cpuNanoCores: this.lastNodeCpu, memoryWorkingSetBytes: memoryWorkingSet(), timestamp: rfc3339(this.clock.now()) },
      pods: [...pods.values()] as PodUsage[],
    }
  }
}
