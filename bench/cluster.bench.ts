// Cluster benchmark on a simulated cluster run in-process (API server, scheduler, controller
// manager and hollow nodes — the `kubelab-node control-plane` code path, real clock):
//  1. time from `kubectl scale --replicas=1000` to all 1000 pods Running (100 nodes);
//  2. process RSS with 100 nodes and 3000 Running pods (the whole control plane + nodes).
// Run: npx tsx bench/cluster.bench.ts   (NODES / SCALE / PODS env vars shrink it for a quick look;
//      CPU_PROFILE=FILE.cpuprofile profiles the scale to SCALE and prints self time by function/file)
import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { writeHeapSnapshot } from 'node:v8'
import { findResource } from '../src-cluster/api/resources'
import { Informer } from '../src-cluster/client/informer'
import type { PodObj } from '../src-cluster/kit/objects'
import { startTestCluster, type TestCluster } from '../test/helpers/cluster'
import { formatTable } from './lib/table'
import { writeResults } from './lib/results'
import { nowMs, round } from './lib/stats'
import { summarizeSnapshotFile, type HeapSummary } from './lib/heap-summary'
import { formatCpuSummary, startCpuProfile, summarizeCpuProfile, writeCpuProfile } from './lib/cpu-profile'

const NODES = Number(process.env.NODES ?? 100)
const SCALE = Number(process.env.SCALE ?? 1000)
const PODS = Number(process.env.PODS ?? 3000)
/** CPU_PROFILE=FILE: a V8 CPU profile of the scale 1 → SCALE written there, and its summary printed. */
const CPU_PROFILE = process.env.CPU_PROFILE
const PODS_RES = findResource('', 'v1', 'pods')!

const mib = (b: number): number => round(b / 2 ** 20, 1)

function runningCount(pods: Informer<PodObj>): number {
  return pods.list().filter((p) => p.status?.phase === 'Running' && !p.metadata?.deletionTimestamp).length
}

/**
 * Waits on a watch of the bench's pods (as `kubectl get -w` would) rather than listing them
 * again and again: the driver shares the measured process, and re-reading 3000 pods every
 * 200 ms was a good part of what it measured.
 */
async function waitRunning(pods: Informer<PodObj>, n: number, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs
  for (;;) {
    const c = runningCount(pods)
    if (c >= n) return
    if (Date.now() > end) throw new Error(`only ${c}/${n} pods Running after ${timeoutMs} ms`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

function kubectlTimed(t: TestCluster, args: string[]): Promise<number> {
  const t0 = nowMs()
  return new Promise((resolve, reject) =>
    execFile('/usr/bin/kubectl', ['--kubeconfig', t.kubeconfig, ...args], (err) => (err ? reject(err) : resolve(nowMs() - t0))),
  )
}

function heapProfile(): HeapSummary {
  const dir = mkdtempSync(join(tmpdir(), 'kubelab-bench-heap-'))
  try {
    return summarizeSnapshotFile(writeHeapSnapshot(join(dir, 'cluster.heapsnapshot')), 12)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
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
    let pods: Informer<PodObj> | undefined = new Informer<PodObj>(t.client, PODS_RES, {
      namespace: 'default',
      labelSelector: 'app=bench',
      stripManagedFields: true,
    })
    await pods.start()
    await t.k('create', 'deployment', 'bench', '--image=nginx', '--replicas=1')
    await waitRunning(pods, 1, 60_000)
    const stopProfile = CPU_PROFILE ? await startCpuProfile() : undefined
    const s0 = nowMs()
    const cpu0 = process.cpuUsage()
    await kubectlTimed(t, ['scale', 'deployment/bench', `--replicas=${SCALE}`])
    await waitRunning(pods, SCALE, 600_000)
    const scaleMs = nowMs() - s0
    // The process's CPU time per pod over the scale: what the wall time comes to on an unshared core.
    const cpu = process.cpuUsage(cpu0)
    if (stopProfile && CPU_PROFILE) {
      const profile = await stopProfile()
      writeCpuProfile(CPU_PROFILE, profile)
      console.log(formatCpuSummary(summarizeCpuProfile(profile, 30)))
    }
    const cpuMsPerPod = round((cpu.user + cpu.system) / 1000 / (SCALE - 1), 2)
    const s1 = nowMs()
    await kubectlTimed(t, ['scale', 'deployment/bench', `--replicas=${PODS}`])
    await waitRunning(pods, PODS, 900_000)
    const scale2Ms = nowMs() - s1
    pods.stop()
    // The driver's own copy of the pods is no component's: let it go before memory is measured.
    pods = undefined
    global.gc?.()
    await new Promise((r) => setTimeout(r, 2000))
    const mem = process.memoryUsage()
    // The heap profile: what the heap holds at 3000 pods, by constructor, summed self sizes.
    const heap = heapProfile()
    const rows = [
      [`boot: ${NODES} nodes Ready with podCIDRs`, round(bootMs / 1000, 2), 's'],
      [`kubectl scale 1 → ${SCALE}: all Running`, round(scaleMs / 1000, 2), 's'],
      [`  pods/s`, round((SCALE - 1) / (scaleMs / 1000), 1), 'pods/s'],
      [`  CPU per pod (all components)`, cpuMsPerPod, 'ms'],
      [`kubectl scale ${SCALE} → ${PODS}: all Running`, round(scale2Ms / 1000, 2), 's'],
      [`RSS at ${NODES} nodes / ${PODS} pods (all components, one process)`, mib(mem.rss), 'MiB'],
      [`  heap used`, mib(mem.heapUsed), 'MiB'],
      [`  RSS before the cluster started`, mib(rssStart), 'MiB'],
      [`heap profile: ${heap.objects} objects, self sizes`, mib(heap.totalBytes), 'MiB'],
      [`  strings whose text another string also holds`, mib(heap.duplicateStringBytes), 'MiB'],
      ...heap.top.slice(0, 8).map((g) => [`  ${g.what} (${g.count})`, mib(g.bytes), 'MiB'] as const),
    ] as const
    console.log(formatTable(['measure', 'value', 'unit'], rows))
    const file = await writeResults('cluster', {
      nodes: NODES,
      bootSeconds: round(bootMs / 1000, 2),
      scaleTo: SCALE,
      scaleToAllRunningSeconds: round(scaleMs / 1000, 2),
      scalePodsPerSecond: round((SCALE - 1) / (scaleMs / 1000), 1),
      scaleCpuMsPerPod: cpuMsPerPod,
      pods: PODS,
      scaleToPodsSeconds: round(scale2Ms / 1000, 2),
      rssMiB: mib(mem.rss),
      heapUsedMiB: mib(mem.heapUsed),
      rssBeforeMiB: mib(rssStart),
      heapProfile: { ...heap, top: heap.top.map((g) => ({ ...g, mib: mib(g.bytes) })) },
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
