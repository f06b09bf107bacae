// Cluster benchmark on a simulated cluster run in-process (API server, scheduler, controller
// manager and hollow nodes — the `kubelab-node control-plane` code path, real clock):
//  1. time from `kubectl scale --replicas=1000` to all 1000 pods Running (100 nodes);
//  2. process RSS with 100 nodes and 3000 Running pods (the whole control plane + nodes).
// Run: npx tsx bench/cluster.bench.ts   (NODES / PODS env vars shrink it for a quick look)
import { execFile } from 'node:child_process'
import { findResource } from '../src-cluster/api/resources'
import { startTestCluster, type TestCluster } from '../test/helpers/cluster'
import { formatTable } from './lib/table'
import { writeResults } from './lib/results'
import { nowMs, round } from './lib/stats'

const NODES = Number(process.env.NODES ?? 100)
const SCALE = Number(process.env.SCALE ?? 1000)
const PODS = Number(process.env.PODS ?? 3000)
const PODS_RES = findResource('', 'v1', 'pods')!

const mib = (b: number): number => round(b / 2 ** 20, 1)

async function runningCount(t: TestCluster, selector: string): Promise<number> {
  const list = await t.client.list(PODS_RES, { namespace: 'default', labelSelector: selector })
  return list.items.filter((p) => (p as { status?: { phase?: string } }).status?.phase === 'Running' && !p.metadata?.deletionTimestamp).length
}

async function waitRunning(t: TestCluster, selector: string, n: number, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs
  for (;;) {
    const c = await runningCount(t, selector)
    if (c >= n) return
    if (Date.now() > end) throw new Error(`only ${c}/${n} pods Running after ${timeoutMs} ms`)
    await new Promise((r) => setTimeout(r, 200))
  }
}

function kubectlTimed(t: TestCluster, args: string[]): Promise<number> {
  const t0 = nowMs()
  return new Promise((resolve, reject) =>
    execFile('/usr/bin/kubectl', ['--kubeconfig', t.kubeconfig, ...args], (err) => (err ? reject(err) : resolve(nowMs() - t0))),
  )
}

async function main(): Promise<void> {
  const rssStart = process.memoryUsage().rss
  const t0 = nowMs()
  const t = await startTestCluster({ nodes: NODES, startDelayMs: 200, runTimeMs: 1000, nodeOptions: { pods: 110 } })
  try {
    await t.waitFor(
      `${NODES} nodes with podCIDRs`,
      async () => {
        const nodes = JSON.parse(await t.k('get', 'nodes', '-o', 'json')) as { items: { spec: { podCIDR?: string } }[] }
        return nodes.items.length === NODES && nodes.items.every((n) => n.spec.podCIDR)
      },
      { timeoutMs: 120_000 },
    )
    const bootMs = nowMs() - t0
    await t.k('create', 'deployment', 'bench', '--image=nginx', '--replicas=1')
    await waitRunning(t, 'app=bench', 1, 60_000)
    const s0 = nowMs()
    await kubectlTimed(t, ['scale', 'deployment/bench', `--replicas=${SCALE}`])
    await waitRunning(t, 'app=bench', SCALE, 600_000)
    const scaleMs = nowMs() - s0
    const s1 = nowMs()
    await kubectlTimed(t, ['scale', 'deployment/bench', `--replicas=${PODS}`])
    await waitRunning(t, 'app=bench', PODS, 900_000)
    const scale2Ms = nowMs() - s1
    global.gc?.()
    await new Promise((r) => setTimeout(r, 2000))
    const mem = process.memoryUsage()
    const rows = [
      [`boot: ${NODES} nodes Ready with podCIDRs`, round(bootMs / 1000, 2), 's'],
      [`kubectl scale 1 → ${SCALE}: all Running`, round(scaleMs / 1000, 2), 's'],
      [`  pods/s`, round((SCALE - 1) / (scaleMs / 1000), 1), 'pods/s'],
      [`kubectl scale ${SCALE} → ${PODS}: all Running`, round(scale2Ms / 1000, 2), 's'],
      [`RSS at ${NODES} nodes / ${PODS} pods (all components, one process)`, mib(mem.rss), 'MiB'],
      [`  heap used`, mib(mem.heapUsed), 'MiB'],
      [`  RSS before the cluster started`, mib(rssStart), 'MiB'],
    ] as const
    console.log(formatTable(['measure', 'value', 'unit'], rows))
    const file = await writeResults('cluster', {
      nodes: NODES,
      bootSeconds: round(bootMs / 1000, 2),
      scaleTo: SCALE,
      scaleToAllRunningSeconds: round(scaleMs / 1000, 2),
      scalePodsPerSecond: round((SCALE - 1) / (scaleMs / 1000), 1),
      pods: PODS,
      scaleToPodsSeconds: round(scale2Ms / 1000, 2),
      rssMiB: mib(mem.rss),
      heapUsedMiB: mib(mem.heapUsed),
      rssBeforeMiB: mib(rssStart),
      note: 'API server, scheduler, controller manager, simulated nodes and the benchmark driver share one Node process',
    })
    console.log(`results: ${file}`)
  } finally {
    await t.close()
  }
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e)
    process.exit(1)
  },
)
