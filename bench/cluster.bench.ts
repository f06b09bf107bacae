// Cluster benchmark on a simulated cluster, 100 nodes:
//  1. the product: `kubelab create --provider simulated` with the built node bundle
//     (KUBELAB_NODE_BIN, as a packaged app runs it) — ONE `kubelab-node control-plane` process
//     running the API server, scheduler, controller manager and the hollow nodes, driven by
//     kubectl from outside. Its RSS (VmRSS from /proc once 3000 pods are Running and the
//     cluster settled), peak RSS and CPU per pod (utime+stime from /proc) are the headline; the
//     CPU per pod is also given less the idle cluster's CPU rate (measured for 8 s before the
//     first pod) over the scale's wall time, which a loaded machine stretches; its memory trims
//     (src-cluster/cmd/memory-trim.ts; KUBELAB_MEMORY_TRIM=off in this env turns them off) are
//     counted and their log lines printed;
//  2. the same code path in this process (test harness): time from `kubectl scale
//     --replicas=1000` to all 1000 pods Running, CPU per pod, RSS and heap, and a heap profile at
//     3000 pods — the diagnosis of where the product's memory goes.
// Run: node --import tsx bench/cluster.bench.ts   (NODES / SCALE / PODS env vars shrink it for a quick look;
// PHASES=product or PHASES=in-process runs one of the two; CPU_PROFILE=FILE.cpuprofile profiles
// the in-process scale to SCALE and prints self time by function/file; PRODUCT_CPU_PROFILE=FILE
// does the same for the product's control-plane process, through its inspector, and
// PRODUCT_ALLOC_PROFILE=FILE.heapprofile samples what that process allocates over the scale)
import { execFile } from 'node:child_process'
import { copyFileSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { writeHeapSnapshot } from 'node:v8'
import { findResource } from '../src-cluster/api/resources'
import { Informer } from '../src-cluster/client/informer'
import { createClient, loadKubeconfig, type Client } from '../src-cluster/client'
import { buildNodeBundle } from '../provisioning/bundle'
import { kubelabCli } from '../test/helpers/cli'
import type { PodObj } from '../src-cluster/kit/objects'
import { startTestCluster } from '../test/helpers/cluster'
import { atCleanup, benchTempDir, removeTempDir } from './lib/cleanup'
import { formatTable } from './lib/table'
import { writeResults } from './lib/results'
import { nowMs, round } from './lib/stats'
import { summarizeSnapshotFile, type HeapSummary } from './lib/heap-summary'
import { allocatedBytes, formatCpuSummary, startCpuProfile, startRemoteProfile, summarizeCpuProfile, writeCpuProfile } from './lib/cpu-profile'
import { procKiB } from './lib/proc'

const NODES = Number(process.env.NODES ?? 100)
const SCALE = Number(process.env.SCALE ?? 1000)
const PODS = Number(process.env.PODS ?? 3000)
/** CPU_PROFILE=FILE: a V8 CPU profile of the scale 1 → SCALE written there, and its summary printed. */
const CPU_PROFILE = process.env.CPU_PROFILE
/** PRODUCT_CPU_PROFILE=FILE: the control-plane process's V8 CPU profile over the scale 1 → SCALE. */
const PRODUCT_CPU_PROFILE = process.env.PRODUCT_CPU_PROFILE
/** PRODUCT_ALLOC_PROFILE=FILE: its sampled allocations over the same scale (a `.heapprofile`). */
const PRODUCT_ALLOC_PROFILE = process.env.PRODUCT_ALLOC_PROFILE
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

function kubectlTimed(kubeconfig: string, args: string[]): Promise<number> {
  const t0 = nowMs()
  return new Promise((resolve, reject) =>
    execFile('/usr/bin/kubectl', ['--kubeconfig', kubeconfig, ...args], (err) => (err ? reject(err) : resolve(nowMs() - t0))),
  )
}

/** A process's resident set now and at its peak, from /proc (bytes). */
function procRss(pid: number): { rss: number; hwm: number } {
  return { rss: (procKiB(pid, 'status', 'VmRSS') ?? NaN) * 1024, hwm: (procKiB(pid, 'status', 'VmHWM') ?? NaN) * 1024 }
}

/** A process's CPU time (user + system) so far, ms, from /proc/PID/stat (clock ticks of 10 ms). */
function procCpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  // After the command name: state is field 3, utime 14 and stime 15 (1-based, man proc).
  return (Number(f[11]) + Number(f[12])) * 10
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

function benchPods(client: Client): Informer<PodObj> {
  return new Informer<PodObj>(client, PODS_RES, { namespace: 'default', labelSelector: 'app=bench', stripManagedFields: true })
}

interface ProductFigures {
  bootSeconds: number
  scaleSeconds: number
  podsPerSecond: number
  cpuMsPerPod: number
  /** CPU per pod less what the idle cluster burns over the scale's wall time (load-insensitive). */
  netCpuMsPerPod: number
  idleCpuMsPerSecond: number
  scaleToPodsSeconds: number
  rssIdleMiB: number
  rssMiB: number
  peakRssMiB: number
  rssLaterMiB: number
  /** The control plane's memory trims over the run (its log lines; KUBELAB_MEMORY_TRIM=off: none). */
  trims: string[]
  /** Bytes the process allocated per pod over the scale (PRODUCT_ALLOC_PROFILE; sampled). */
  allocatedKiBPerPod?: number
  heap?: HeapSummary
}

/**
 * The product process's heap profile (PRODUCT_HEAP=1; it was started with NODE_OPTIONS
 * --heapsnapshot-signal=SIGUSR2, which this sets): writing the snapshot changes the process's
 * memory, so this is read after its RSS.
 */
async function productHeap(pid: number, cwd: string): Promise<HeapSummary> {
  process.kill(pid, 'SIGUSR2')
  for (let i = 0; i < 600; i++) {
    await sleep(500)
    const f = readdirSync(cwd).find((n) => n.endsWith('.heapsnapshot'))
    // Node writes the file in one go; its size stops changing when it is done.
    if (f) {
      const size = statSync(join(cwd, f)).size
      await sleep(2000)
      if (statSync(join(cwd, f)).size === size && size > 0) {
        // PRODUCT_HEAP_FILE=FILE keeps the snapshot for a closer look.
        if (process.env.PRODUCT_HEAP_FILE) copyFileSync(join(cwd, f), process.env.PRODUCT_HEAP_FILE)
        return summarizeSnapshotFile(join(cwd, f), 12)
      }
    }
  }
  throw new Error('the control-plane process wrote no heap snapshot')
}

/** The inspector address a process started with --inspect printed to its log. */
function inspectorUrl(log: string): string {
  const m = /Debugger listening on (ws:\/\/\S+)/.exec(readFileSync(log, 'utf8'))
  if (!m) throw new Error(`${log} names no inspector address`)
  return m[1]!
}

/** How long the cluster is left alone after the last pod runs before its RSS is read. */
const SETTLE_MS = Number(process.env.SETTLE_MS ?? 15_000)
/** A second reading once the store's 75 s history window has passed the burst of pod writes. */
const LATER_MS = Number(process.env.LATER_MS ?? 90_000)

/**
 * The product: a simulated cluster made by the `kubelab` CLI from the node bundle, measured from
 * outside. This process only runs kubectl and one watch of the bench's pods.
 */
async function productPhase(): Promise<ProductFigures> {
  const bundle = await buildNodeBundle()
  const home = benchTempDir('kubelab-bench-cluster-')
  const env: NodeJS.ProcessEnv = { ...process.env, KUBELAB_HOME: home, HOME: home, KUBELAB_NODE_BIN: bundle.program }
  if (process.env.PRODUCT_HEAP) env.NODE_OPTIONS = `${process.env.NODE_OPTIONS ?? ''} --heapsnapshot-signal=SIGUSR2`.trim()
  // Every Node.js process the CLI starts listens for an inspector on a port of its own; the
  // control plane's address is in its log.
  if (PRODUCT_CPU_PROFILE || PRODUCT_ALLOC_PROFILE) env.NODE_OPTIONS = `${env.NODE_OPTIONS ?? ''} --inspect=127.0.0.1:0`.trim()
  const kubelab = kubelabCli({ env, timeoutMs: 600_000 })
  const name = 'bench'
  const clusterDir = join(home, 'clusters', name)
  const kubeconfig = join(clusterDir, 'kubeconfig')
  let client: ReturnType<typeof createClient> | undefined
  let pods: Informer<PodObj> | undefined
  // Also on Ctrl-C: the cluster's control plane is a detached process that `kubelab delete` stops.
  const teardown = atCleanup(async () => {
    pods?.stop()
    client?.close()
    // PRODUCT_LOG=FILE keeps the control-plane process's log.
    if (process.env.PRODUCT_LOG) {
      try {
        copyFileSync(join(clusterDir, 'logs', 'control-plane.log'), process.env.PRODUCT_LOG)
      } catch (e) {
        console.error(e)
      }
    }
    await kubelab('delete', name).catch((e: unknown) => console.error(e))
    removeTempDir(home)
  })
  try {
    const t0 = nowMs()
    await kubelab('create', name, '--provider', 'simulated', '--workers', String(NODES), '--start-delay', '200ms', '--run-time', '1s')
    const bootMs = nowMs() - t0
    const pid = Number(readFileSync(join(clusterDir, 'control-plane.pid'), 'utf8').trim())
    await sleep(2000)
    // What the idle cluster burns (heartbeats, leases, controllers' resyncs) per second: on a
    // loaded machine the scale takes longer and this background work lands in the CPU per pod.
    const idleCpu0 = procCpuMs(pid)
    const idleT0 = nowMs()
    await sleep(8000)
    const idleCpuMsPerSecond = round((procCpuMs(pid) - idleCpu0) / ((nowMs() - idleT0) / 1000), 1)
    const idle = procRss(pid)
    client = createClient(loadKubeconfig(kubeconfig))
    pods = benchPods(client)
    await pods.start()
    await kubectlTimed(kubeconfig, ['create', 'deployment', 'bench', '--image=nginx', '--replicas=1'])
    await waitRunning(pods, 1, 60_000)
    const stopProfile =
      PRODUCT_CPU_PROFILE || PRODUCT_ALLOC_PROFILE
        ? await startRemoteProfile(inspectorUrl(join(clusterDir, 'logs', 'control-plane.log')), { allocations: !!PRODUCT_ALLOC_PROFILE })
        : undefined
    const s0 = nowMs()
    const cpu0 = procCpuMs(pid)
    await kubectlTimed(kubeconfig, ['scale', 'deployment/bench', `--replicas=${SCALE}`])
    await waitRunning(pods, SCALE, 600_000)
    const scaleMs = nowMs() - s0
    let allocatedPerPod: number | undefined
    if (stopProfile) {
      const { cpu, allocations } = await stopProfile()
      if (PRODUCT_CPU_PROFILE) {
        writeCpuProfile(PRODUCT_CPU_PROFILE, cpu)
        console.log(formatCpuSummary(summarizeCpuProfile(cpu, 40)))
      }
      if (PRODUCT_ALLOC_PROFILE && allocations) {
        writeFileSync(PRODUCT_ALLOC_PROFILE, JSON.stringify(allocations))
        allocatedPerPod = allocatedBytes(allocations) / (SCALE - 1)
      }
    }
    const scaleCpuMs = procCpuMs(pid) - cpu0
    const cpuMsPerPod = round(scaleCpuMs / (SCALE - 1), 2)
    const netCpuMsPerPod = round((scaleCpuMs - (idleCpuMsPerSecond * scaleMs) / 1000) / (SCALE - 1), 2)
    const s1 = nowMs()
    await kubectlTimed(kubeconfig, ['scale', 'deployment/bench', `--replicas=${PODS}`])
    await waitRunning(pods, PODS, 900_000)
    const scale2Ms = nowMs() - s1
    pods.stop()
    pods = undefined
    await sleep(SETTLE_MS)
    const mem = procRss(pid)
    await sleep(Math.max(0, LATER_MS - SETTLE_MS))
    const later = procRss(pid)
    const trims = readFileSync(join(clusterDir, 'logs', 'control-plane.log'), 'utf8')
      .split('\n')
      .filter((l) => l.includes('memory trim: heap used'))
    const heap = process.env.PRODUCT_HEAP ? await productHeap(pid, clusterDir) : undefined
    return {
      heap,
      bootSeconds: round(bootMs / 1000, 2),
      scaleSeconds: round(scaleMs / 1000, 2),
      podsPerSecond: round((SCALE - 1) / (scaleMs / 1000), 1),
      cpuMsPerPod,
      netCpuMsPerPod,
      idleCpuMsPerSecond,
      scaleToPodsSeconds: round(scale2Ms / 1000, 2),
      rssIdleMiB: mib(idle.rss),
      rssMiB: mib(mem.rss),
      peakRssMiB: mib(mem.hwm),
      rssLaterMiB: mib(later.rss),
      trims,
      allocatedKiBPerPod: allocatedPerPod === undefined ? undefined : round(allocatedPerPod / 1024, 0),
    }
  } finally {
    await teardown()
  }
}

function heapProfile(): HeapSummary {
  const dir = benchTempDir('kubelab-bench-heap-')
  try {
    return summarizeSnapshotFile(writeHeapSnapshot(join(dir, 'cluster.heapsnapshot')), 12)
  } finally {
    removeTempDir(dir)
  }
}

type Row = readonly [string, number, string]

/** The same components in this process (the test harness), with a heap profile at PODS pods. */
async function inProcessPhase(): Promise<{ rows: Row[]; results: Record<string, unknown> }> {
  const rssStart = process.memoryUsage().rss
  const t0 = nowMs()
  const t = await startTestCluster({ nodes: NODES, startDelayMs: 200, runTimeMs: 1000, nodeOptions: { pods: 110 } })
  const teardown = atCleanup(() => t.close())
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
    let pods: Informer<PodObj> | undefined = benchPods(t.client)
    await pods.start()
    await t.k('create', 'deployment', 'bench', '--image=nginx', '--replicas=1')
    await waitRunning(pods, 1, 60_000)
    const stopProfile = CPU_PROFILE ? await startCpuProfile() : undefined
    const s0 = nowMs()
    const cpu0 = process.cpuUsage()
    await kubectlTimed(t.kubeconfig, ['scale', 'deployment/bench', `--replicas=${SCALE}`])
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
    await kubectlTimed(t.kubeconfig, ['scale', 'deployment/bench', `--replicas=${PODS}`])
    await waitRunning(pods, PODS, 900_000)
    const scale2Ms = nowMs() - s1
    pods.stop()
    // The driver's own copy of the pods is no component's: let it go before memory is measured.
    pods = undefined
    global.gc?.()
    await sleep(2000)
    const mem = process.memoryUsage()
    // The heap profile: what the heap holds at 3000 pods, by constructor, summed self sizes.
    const heap = heapProfile()
    const rows: Row[] = [
      [`in-process (test harness + driver in the same process; diagnosis)`, NaN, ''],
      [`  boot: ${NODES} nodes Ready with podCIDRs`, round(bootMs / 1000, 2), 's'],
      [`  kubectl scale 1 → ${SCALE}: all Running`, round(scaleMs / 1000, 2), 's'],
      [`    pods/s`, round((SCALE - 1) / (scaleMs / 1000), 1), 'pods/s'],
      [`    CPU per pod (all components + driver)`, cpuMsPerPod, 'ms'],
      [`  kubectl scale ${SCALE} → ${PODS}: all Running`, round(scale2Ms / 1000, 2), 's'],
      [`  RSS at ${NODES} nodes / ${PODS} pods`, mib(mem.rss), 'MiB'],
      [`    heap used`, mib(mem.heapUsed), 'MiB'],
      [`    RSS before the cluster started`, mib(rssStart), 'MiB'],
      [`  heap profile: ${heap.objects} objects, self sizes`, mib(heap.totalBytes), 'MiB'],
      [`    strings whose text another string also holds`, mib(heap.duplicateStringBytes), 'MiB'],
      ...heap.top.slice(0, 8).map((g): Row => [`    ${g.what} (${g.count})`, mib(g.bytes), 'MiB']),
    ]
    return {
      rows,
      results: {
        bootSeconds: round(bootMs / 1000, 2),
        scaleToAllRunningSeconds: round(scaleMs / 1000, 2),
        scalePodsPerSecond: round((SCALE - 1) / (scaleMs / 1000), 1),
        scaleCpuMsPerPod: cpuMsPerPod,
        scaleToPodsSeconds: round(scale2Ms / 1000, 2),
        rssMiB: mib(mem.rss),
        heapUsedMiB: mib(mem.heapUsed),
        rssBeforeMiB: mib(rssStart),
        heapProfile: { ...heap, top: heap.top.map((g) => ({ ...g, mib: mib(g.bytes) })) },
        note: 'API server, scheduler, controller manager, simulated nodes and the benchmark driver share one Node process',
      },
    }
  } finally {
    await teardown()
  }
}

async function main(): Promise<void> {
  const phases = (process.env.PHASES ?? 'product,in-process').split(',')
  const rows: Row[] = []
  const results: Record<string, unknown> = { nodes: NODES, scaleTo: SCALE, pods: PODS }
  if (phases.includes('product')) {
    const p = await productPhase()
    rows.push(
      [`product: kubelab create --provider simulated (node bundle), ONE kubelab-node control-plane process`, NaN, ''],
      [`  boot: ${NODES} workers + control-plane node Ready (kubelab create)`, p.bootSeconds, 's'],
      [`  kubectl scale 1 → ${SCALE}: all Running`, p.scaleSeconds, 's'],
      [`    pods/s`, p.podsPerSecond, 'pods/s'],
      [`    CPU per pod (the control-plane process)`, p.cpuMsPerPod, 'ms'],
      [`    the same less the idle cluster's CPU over the scale's wall time`, p.netCpuMsPerPod, 'ms'],
      ...(p.allocatedKiBPerPod === undefined ? [] : [[`    allocated per pod (sampled, PRODUCT_ALLOC_PROFILE)`, p.allocatedKiBPerPod, 'KiB'] as Row]),
      [`  CPU of the idle cluster (${NODES} nodes, no pods)`, p.idleCpuMsPerSecond, 'ms/s'],
      [`  kubectl scale ${SCALE} → ${PODS}: all Running`, p.scaleToPodsSeconds, 's'],
      [`  RSS idle (${NODES} nodes, no pods)`, p.rssIdleMiB, 'MiB'],
      [`  RSS at ${NODES} nodes / ${PODS} pods, ${SETTLE_MS / 1000} s after the last Running`, p.rssMiB, 'MiB'],
      [`    peak RSS`, p.peakRssMiB, 'MiB'],
      [`  RSS ${LATER_MS / 1000} s after the last Running (past the store's 75 s history window)`, p.rssLaterMiB, 'MiB'],
      [`  memory trims (idle memory-reducing GCs; KUBELAB_MEMORY_TRIM=off turns them off)`, p.trims.length, ''],
    )
    if (p.heap)
      rows.push(
        [`  heap profile: ${p.heap.objects} objects, self sizes`, mib(p.heap.totalBytes), 'MiB'],
        [`    strings whose text another string also holds`, mib(p.heap.duplicateStringBytes), 'MiB'],
        ...p.heap.top.slice(0, 8).map((g): Row => [`    ${g.what} (${g.count})`, mib(g.bytes), 'MiB']),
      )
    results.product = p
  }
  if (phases.includes('in-process')) {
    const ip = await inProcessPhase()
    rows.push(...ip.rows)
    results.inProcess = ip.results
  }
  const trims = (results.product as ProductFigures | undefined)?.trims ?? []
  for (const t of trims) console.log(t)
  console.log(
    formatTable(
      ['measure', 'value', 'unit'],
      rows.map(([m, v, u]) => [m, Number.isNaN(v) ? '' : v, u]),
    ),
  )
  const file = await writeResults('cluster', results)
  console.log(`results: ${file}`)
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e)
    process.exit(1)
  },
)
