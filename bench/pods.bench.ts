// Pod startup on one real node (root + containerd): create → Running latency p50/p99 with the
// image already present, one pod at a time and in a burst, and the kubelet's RSS idle and with
// 30 pods. The control plane runs in this process; the node is a network namespace with its own
// containerd and OUR kubelet as a child process (as `kubelab-node kubelet` runs on a VM), so its
// memory is its own. Pods go through the scheduler. Everything is removed at the end.
// The burst's time is split into steps: the control plane's (create → bound), the watch to the
// kubelet, each step the kubelet logs for the pod's first start ("observed pod startup
// duration": containerd's RunPodSandbox with CNI, CreateContainer, StartContainer…, the
// status PATCH, and the kubelet's own code and waits), and the watch back; plus the CPU
// seconds each process spent during the burst (on a 2-core machine, who had the cores).
// Run under the e2e lock: flock /tmp/kubelab-e2e.lock node --import tsx bench/pods.bench.ts
//   (SEQ=100 BURST=100 RSS_PODS=30 POD_TIMEOUT_S=300; KEEP_KUBELET_LOG=FILE keeps the kubelet's log,
//   KUBELET_CPU_PROF=DIR writes its CPU profile there; KUBELAB_SANDBOX_SLOTS=N reaches the kubelet;
//   NODE_FLAGS='…' replaces the kubelet's Node.js flags, nodeProcessFlags(['kubelet']) of src-cluster/cmd/memory.ts)
// After the burst it measures the CRI client's CPU per call; at the end it prints what the kubelet
// asked of the API server and containerd per pod (from the tally it logs when it stops).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Node, Pod } from 'kubernetes-types/core/v1'
import type { KubeObject } from '../src-cluster/api/object'
import { writeKubeconfig } from '../src-cluster/apiserver/kubeconfig'
import { Informer } from '../src-cluster/client'
import { startControlPlane, type ControlPlane } from '../src-cluster/cmd/control-plane'
import { createTestBridge, removeCgroupTree, startContainerdNode, type ContainerdNode, type TestBridge } from '../test/helpers/containerd'
import { benchKubeletArgs } from './lib/kubelet-args'
import { writeResults } from './lib/results'
import { nowMs, quantile, round, summarize } from './lib/stats'
import { formatTable } from './lib/table'
import { RES } from '../src-cluster/kit/resources'
import { performance } from 'node:perf_hooks'
import { START_STEPS, RUNTIME_STEPS } from '../src-cluster/kubelet/start-trace'
import { CriClient } from '../src-cluster/kubelet/cri/client'
import { NODE_PROCESS_ENV, nodeProcessFlags } from '../src-cluster/cmd/memory'
import { atCleanup, benchTempDir } from './lib/cleanup'
import { deletePodsAndWait, loadTestImages, sleeperPod } from './lib/pods'
import { procKiB } from './lib/proc'

const SEQ = Number(process.env.SEQ ?? 100)
const BURST = Number(process.env.BURST ?? 100)
const RSS_PODS = Number(process.env.RSS_PODS ?? 30)
const POD_TIMEOUT_MS = Number(process.env.POD_TIMEOUT_S ?? 300) * 1000

function missing(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root (network namespaces, containerd, cgroups)'
  for (const bin of ['containerd', 'runc', 'nsenter', 'iptables']) if (spawnSync('sh', ['-c', `command -v ${bin}`]).status !== 0) return `needs ${bin} on PATH`
  if (!existsSync('/usr/lib/cni/bridge')) return 'needs the CNI plugins in /usr/lib/cni (Debian containernetworking-plugins)'
  return undefined
}

const why = missing()
if (why) {
  console.log(`pods.bench SKIPPED: ${why}`)
  process.exit(0)
}

const repo = resolve(fileURLToPath(new URL('.', import.meta.url)), '..')
// Issue 4's subnet, its upper half (the e2e suite uses the lower addresses).
const HOST_IP = '10.231.201.129'
const NODE_IP = '10.231.201.130'
const NODE = 'k4-bench'
const dir = benchTempDir('kubelab-k4-bench-')
const cgroupRoot = `/kubelab-k4-bench-${process.pid}`
let cp: ControlPlane | undefined
let bridge: TestBridge | undefined
let rt: ContainerdNode | undefined
let kubelet: ChildProcess | undefined
let informer: Informer<Pod & KubeObject> | undefined
let cri: CriClient | undefined

/** When each pod was first seen Running, by name. */
const runningAt = new Map<string, number>()
const waiters = new Map<string, () => void>()

/** ms since the epoch, sub-millisecond: the kubelet's startup lines use the same clock. */
const epochMs = (): number => performance.timeOrigin + performance.now()

/** When each pod was created (the create call) and first seen bound and Running (epoch ms). */
const stages = new Map<string, { created: number; bound?: number; running?: number }>()

function seen(p: Pod): void {
  const name = p.metadata?.name ?? ''
  const st = stages.get(name)
  if (st) {
    const t = epochMs()
    if (st.bound === undefined && p.spec?.nodeName) st.bound = t
    if (st.running === undefined && p.status?.phase === 'Running') st.running = t
  }
  if (p.status?.phase !== 'Running' || runningAt.has(name)) return
  runningAt.set(name, nowMs())
  waiters.get(name)?.()
}

/** Creates a pod and resolves with ms from the create call to Running. */
async function startPod(name: string): Promise<number> {
  const running = new Promise<void>((ok, fail) => {
    const t = setTimeout(() => fail(new Error(`pod ${name} not Running within ${POD_TIMEOUT_MS} ms`)), POD_TIMEOUT_MS)
    waiters.set(name, () => {
      clearTimeout(t)
      ok()
    })
  })
  const t0 = nowMs()
  stages.set(name, { created: epochMs() })
  await cp!.client.create(RES.pods, 'default', sleeperPod(name, { bench: 'pods' }))
  await running
  waiters.delete(name)
  return runningAt.get(name)! - t0
}

/** Deletes the pods and waits until their objects and sandboxes are gone (the next measurement starts on a quiet node). */
async function deleteAll(names: string[]): Promise<void> {
  await deletePodsAndWait(cp!.client, cri!, names, { namespace: 'default', labelSelector: 'bench=pods', timeoutMs: POD_TIMEOUT_MS })
}

function rssMiB(pid: number): number {
  return round((procKiB(pid, 'status', 'VmRSS') ?? NaN) / 1024, 1)
}

/** Highest RSS over a few seconds of steady state (the kubelet syncs every pod each second). */
async function steadyRss(pid: number, ms = 5000): Promise<number> {
  let max = 0
  for (const end = Date.now() + ms; Date.now() < end;) {
    max = Math.max(max, rssMiB(pid))
    await new Promise((r) => setTimeout(r, 250))
  }
  return max
}

/** The kubelet's "observed pod startup duration" lines, by pod name: seenAt, total and each step (ms). */
function startupLines(log: string): Map<string, Record<string, number>> {
  const out = new Map<string, Record<string, number>>()
  for (const line of readFileSync(log, 'utf8').split('\n')) {
    const m = /observed pod startup duration pod=[^/\s]+\/(\S+) (.*)$/.exec(line)
    if (!m) continue
    out.set(
      m[1]!,
      Object.fromEntries(
        m[2]!
          .split(' ')
          .map((kv) => kv.split('='))
          .map(([k, v]) => [k, Number(v)]),
      ),
    )
  }
  return out
}

const CLK_TCK = 100
/** A process's own CPU seconds and its reaped children's (CNI plugins, runc), by pid, for processes `match` picks. */
function cpuOf(match: (pid: number, cmdline: string) => boolean): Map<number, { self: number; children: number; shim: boolean }> {
  const out = new Map<number, { self: number; children: number; shim: boolean }>()
  for (const d of readdirSync('/proc')) {
    const pid = Number(d)
    if (!Number.isInteger(pid)) continue
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8')
      if (!match(pid, cmd)) continue
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
      const f = stat
        .slice(stat.lastIndexOf(')') + 2)
        .split(' ')
        .map(Number)
      out.set(pid, { self: (f[11]! + f[12]!) / CLK_TCK, children: (f[13]! + f[14]!) / CLK_TCK, shim: cmd.includes('containerd-shim') })
    } catch {
      // gone meanwhile
    }
  }
  return out
}

/** Busy CPU seconds of the whole machine (every core; other users' work too). */
function machineBusy(): number {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number)
  // user nice system idle iowait irq softirq steal
  return (f[0]! + f[1]! + f[2]! + f[5]! + f[6]! + f[7]!) / CLK_TCK
}

interface CpuSnapshot {
  kubelet: number
  runtime: ReturnType<typeof cpuOf>
  bench: number
  machine: number
}

function cpuSnapshot(kubeletPid: number, runtimeRoot: string): CpuSnapshot {
  const u = process.cpuUsage()
  const k = cpuOf((pid) => pid === kubeletPid).get(kubeletPid)
  return {
    kubelet: k ? k.self : 0,
    runtime: cpuOf((_pid, cmd) => cmd.includes(runtimeRoot)),
    bench: (u.user + u.system) / 1e6,
    machine: machineBusy(),
  }
}

/** CPU seconds spent between two snapshots, by who spent them. */
function cpuSpent(a: CpuSnapshot, b: CpuSnapshot): Record<string, number> {
  const rt = { containerd: 0, cni: 0, shims: 0, runc: 0 }
  for (const [pid, s] of b.runtime) {
    const was = a.runtime.get(pid) ?? { self: 0, children: 0 }
    rt[s.shim ? 'shims' : 'containerd'] += s.self - was.self
    // containerd reaps the CNI plugins (and `shim start`); a shim reaps its runc runs
    rt[s.shim ? 'runc' : 'cni'] += s.children - was.children
  }
  const r = (v: number): number => round(v, 2)
  return {
    kubelet: r(b.kubelet - a.kubelet),
    containerd: r(rt.containerd),
    'CNI plugins': r(rt.cni),
    shims: r(rt.shims),
    runc: r(rt.runc),
    'control plane + bench': r(b.bench - a.bench),
    'whole machine': r(b.machine - a.machine),
  }
}

/**
 * Where the pods' time went: each pod's steps, as this process's watch and the kubelet's
 * startup lines (same clock) saw them. The kubelet's first status post already says Running.
 */
function breakdown(names: readonly string[], log: string): Record<string, { p50: number; p99: number; max: number; n: number }> {
  const lines = startupLines(log)
  const perPod = (f: (st: { created: number; bound?: number; running?: number }, k: Record<string, number> | undefined) => number): number[] =>
    names.map((n) => f(stages.get(n)!, lines.get(n))).filter((x) => Number.isFinite(x))
  const kl = (k: Record<string, number> | undefined, key: string): number => k?.[key] ?? NaN
  const runtime = (k: Record<string, number> | undefined): number => RUNTIME_STEPS.reduce((a, s) => a + kl(k, s), 0)
  const steps: [string, number[]][] = [
    ['create → bound (API server, scheduler)', perPod((st) => (st.bound ?? NaN) - st.created)],
    ['bound → Running (kubelet: sandbox, CNI, containers, status)', perPod((st) => (st.running ?? NaN) - (st.bound ?? NaN))],
    ['  bound → kubelet has it (watch)', perPod((st, k) => kl(k, 'seenAt') - (st.bound ?? NaN))],
    ...START_STEPS.map((s): [string, number[]] => [`  kubelet: ${s}${RUNTIME_STEPS.includes(s) ? ' (containerd)' : ''}`, perPod((_st, k) => kl(k, s))]),
    ['  kubelet: its own code and waits', perPod((_st, k) => kl(k, 'kubelet'))],
    ['  status written → Running seen (watch)', perPod((st, k) => (st.running ?? NaN) - (kl(k, 'seenAt') + kl(k, 'total')))],
    ['  kubelet total: in containerd calls', perPod((_st, k) => runtime(k))],
    ['  kubelet total: everything else', perPod((_st, k) => kl(k, 'total') - runtime(k))],
  ]
  const out: Record<string, { p50: number; p99: number; max: number; n: number }> = {}
  for (const [what, ms] of steps) {
    const sorted = [...ms].sort((a, b) => a - b)
    out[what] = { p50: round(quantile(sorted, 0.5), 0), p99: round(quantile(sorted, 0.99), 0), max: round(sorted.at(-1) ?? NaN, 0), n: sorted.length }
  }
  return out
}

/** µs of this process's CPU per CRI call, by call. */
async function criCallCpu(client: CriClient): Promise<Record<string, number>> {
  const containers = await client.listContainers()
  const id = containers[0]?.id
  const measure = async (n: number, call: () => Promise<unknown>): Promise<number> => {
    for (let i = 0; i < 20; i++) await call()
    const t0 = process.cpuUsage()
    for (let i = 0; i < n; i++) await call()
    const d = process.cpuUsage(t0)
    return round((d.user + d.system) / n, 0)
  }
  return {
    Version: await measure(500, () => client.version()),
    ...(id ? { ContainerStatus: await measure(500, () => client.containerStatus(id)) } : {}),
    [`ListContainers (${containers.length})`]: await measure(100, () => client.listContainers()),
  }
}

let kubeletLog = ''

/** The kubelet's "requests since start" line, read from its log after it stopped. */
function requestTally(): { cri: number; api: number; line: string } | undefined {
  const line = kubeletLog
    .split('\n')
    .reverse()
    .find((l) => l.includes('kubelet: requests since start:'))
  const m = line && /CRI (\d+) .*; API (\d+) /.exec(line)
  if (!line || !m) return undefined
  return { cri: Number(m[1]), api: Number(m[2]), line: line.slice(line.indexOf('CRI ')) }
}

async function cleanup(): Promise<void> {
  informer?.stop()
  if (cp && kubelet && kubelet.exitCode === null) await deleteAll([...runningAt.keys()]).catch(() => undefined)
  if (kubelet && kubelet.exitCode === null) {
    const exited = new Promise<void>((r) => kubelet!.once('exit', () => r()))
    kubelet.kill('SIGTERM')
    const t = setTimeout(() => kubelet!.kill('SIGKILL'), 10_000)
    await exited
    clearTimeout(t)
  }
  cri?.close()
  await rt?.stop()
  removeCgroupTree(cgroupRoot)
  await cp?.close()
  await bridge?.remove()
  if (existsSync(join(dir, 'kubelet.log'))) kubeletLog = readFileSync(join(dir, 'kubelet.log'), 'utf8')
  if (process.env.KEEP_KUBELET_LOG && kubeletLog) writeFileSync(process.env.KEEP_KUBELET_LOG, kubeletLog)
  rmSync(dir, { recursive: true, force: true })
}

const rows: (string | number)[][] = []
const results: Record<string, unknown> = {}
// Also on Ctrl-C: pods, kubelet, containerd, cgroups, the bridge and the folder.
const teardown = atCleanup(cleanup)
try {
  bridge = await createTestBridge(`k4bb${process.pid % 1000}`, `${HOST_IP}/25`)
  cp = await startControlPlane({
    dataDir: join(dir, 'data'),
    bindAddress: HOST_IP,
    securePort: 0,
    adminKubeconfig: join(dir, 'admin.kubeconfig'),
    extraSANs: [HOST_IP],
    log: () => {},
  })
  const api = cp.apiserver
  const kc = join(dir, 'agent.kubeconfig')
  writeKubeconfig(kc, { server: api.url, caPem: api.pki.ca.certPem, user: 'kubelab-node', certPem: api.admin.certPem, keyPem: api.admin.keyPem })
  rt = await startContainerdNode(`k4b${process.pid % 1000}`, { bridge, ip: NODE_IP })
  cri = new CriClient(rt.socket)
  await loadTestImages(rt, dir)
  const nodeDir = join(dir, NODE)
  mkdirSync(nodeDir, { recursive: true })
  const log = join(dir, 'kubelet.log')
  const fd = openSync(log, 'a')
  // nsenter execs node: the child's pid is the kubelet's
  kubelet = spawn(
    'nsenter',
    [
      `--net=/run/netns/${rt.netns}`,
      process.execPath,
      // the Node.js flags every launcher gives kubelab-node (NODE_FLAGS='…' replaces them)
      ...(process.env.NODE_FLAGS === undefined ? nodeProcessFlags(['kubelet']) : process.env.NODE_FLAGS.split(' ').filter(Boolean)),
      ...(process.env.KUBELET_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.KUBELET_CPU_PROF}`] : []),
      join(repo, 'bin/kubelab-node.mjs'),
      'kubelet',
      ...benchKubeletArgs({ kubeconfig: kc, nodeName: NODE, nodeIp: NODE_IP, socket: rt.socket, nodeDir, cniConfDir: rt.cniConfDir, cgroupRoot }),
    ],
    { cwd: repo, stdio: ['ignore', fd, fd], env: { ...NODE_PROCESS_ENV, ...process.env } },
  )
  closeSync(fd)
  writeFileSync(join(dir, 'kubelet.pid'), String(kubelet.pid))
  informer = new Informer<Pod & KubeObject>(cp.client, RES.pods, { labelSelector: 'bench=pods', log: () => {} })
  informer.addHandler({ add: seen, update: (_o, p) => seen(p) })
  await informer.start()
  for (const end = Date.now() + 120_000; ;) {
    const n = await cp.client.get<KubeObject & Node>(RES.nodes, undefined, NODE).catch(() => undefined)
    if (n?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')) break
    if (kubelet.exitCode !== null) throw new Error(`kubelet exited ${kubelet.exitCode}:\n${readFileSync(log, 'utf8').slice(-3000)}`)
    if (Date.now() > end) throw new Error(`node not Ready in 120 s:\n${readFileSync(log, 'utf8').slice(-3000)}`)
    await new Promise((r) => setTimeout(r, 300))
  }
  const warm = await startPod('warmup')
  await deleteAll(['warmup'])
  const idle = await steadyRss(kubelet.pid!)
  console.log(`node up; warm-up pod Running in ${round(warm, 0)} ms; kubelet RSS idle ${idle} MiB`)

  // one at a time: each pod Running (and then deleted) before the next is created
  const seq: number[] = []
  const t0 = nowMs()
  for (let i = 0; i < SEQ; i++) {
    seq.push(await startPod(`seq-${i}`))
    await deleteAll([`seq-${i}`])
  }
  const seqSum = summarize(seq, nowMs() - t0)
  rows.push([`one at a time (${SEQ})`, seqSum.p50, seqSum.p99, round(Math.max(...seq), 0)])
  const seqSteps = breakdown(
    Array.from({ length: SEQ }, (_, i) => `seq-${i}`),
    log,
  )
  for (const [what, sum] of Object.entries(seqSteps)) rows.push([`  ${what}`, sum.p50, sum.p99, sum.max])
  results.sequential = { ...seqSum, maxMs: round(Math.max(...seq), 1), steps: seqSteps }

  // RSS with RSS_PODS pods running
  const few = Array.from({ length: RSS_PODS }, (_, i) => `rss-${i}`)
  await Promise.all(few.map((n) => startPod(n)))
  const rss = await steadyRss(kubelet.pid!)
  console.log(`kubelet RSS with ${RSS_PODS} pods: ${rss} MiB`)
  await deleteAll(few)

  // a burst: all created at once, each measured from its own create call
  const names = Array.from({ length: BURST }, (_, i) => `burst-${i}`)
  const cpu0 = cpuSnapshot(kubelet.pid!, rt.root)
  const tb = nowMs()
  const burst = await Promise.all(names.map((n) => startPod(n)))
  const burstSum = summarize(burst, nowMs() - tb)
  const cpu = cpuSpent(cpu0, cpuSnapshot(kubelet.pid!, rt.root))
  const rssBurst = await steadyRss(kubelet.pid!, 3000)
  // what BURST running pods cost while nothing happens (the kubelet's relist and ticks, containerd answering)
  const idle0 = cpuSnapshot(kubelet.pid!, rt.root)
  const idleT0 = nowMs()
  await new Promise((r) => setTimeout(r, 10_000))
  const idleCpu = cpuSpent(idle0, cpuSnapshot(kubelet.pid!, rt.root))
  const idleS = (nowMs() - idleT0) / 1000
  const pct = (v: number | undefined): number => round((100 * (v ?? 0)) / idleS, 1)
  results.idleCpuPercent = { kubelet: pct(idleCpu.kubelet), containerd: pct(idleCpu.containerd) }
  // The CRI client's own CPU per call (this process's client, the kubelet's code), with BURST pods
  // on the node: a small answer (ContainerStatus) and the relist's big one (ListContainers).
  const criCpu = await criCallCpu(cri)
  results.criClientCpuUsPerCall = criCpu
  rows.push([`burst (${BURST} at once)`, burstSum.p50, burstSum.p99, round(Math.max(...burst), 0)])
  const burstSteps = breakdown(names, log)
  for (const [what, sum] of Object.entries(burstSteps)) rows.push([`  ${what}`, sum.p50, sum.p99, sum.max])
  results.burstSteps = burstSteps
  results.burstCpuSeconds = cpu
  results.burst = { ...burstSum, maxMs: round(Math.max(...burst), 1), allRunningMs: round(nowMs() - tb, 0) }
  await deleteAll(names)
  results.kubeletRssMiB = { idle, [`with${RSS_PODS}Pods`]: rss, [`with${BURST}Pods`]: rssBurst }

  console.log(`pod startup, create → Running (image present, through the scheduler), one node on containerd`)
  console.log(formatTable(['pattern', 'p50 ms', 'p99 ms', 'max ms'], rows))
  console.log(
    formatTable(
      ['kubelet RSS', 'MiB'],
      [
        ['idle', idle],
        [`${RSS_PODS} pods`, rss],
        [`${BURST} pods`, rssBurst],
      ],
    ),
  )
  console.log(
    `CPU seconds during the burst (${round(burstSum.seconds, 1)} s wall × 2 cores = ${round(burstSum.seconds * 2, 1)} CPU s): ` +
      Object.entries(cpu)
        .map(([k, v]) => `${k} ${v}`)
        .join(', '),
  )
  console.log(`${BURST} pods running, nothing happening: kubelet ${pct(idleCpu.kubelet)}% of a core, containerd ${pct(idleCpu.containerd)}%`)
  console.log(
    `CRI client CPU per call (µs): ${Object.entries(criCpu)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
  )
  console.log(`load average during the run: ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`)
  results.loadAverage = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).map(Number)
  console.log(`results: ${await writeResults('pods', results)}`)
} finally {
  await teardown()
}
// The kubelet logs what it asked of the API server and containerd when it stops: per pod started
// (and deleted) in this run, idle periods included.
const tally = requestTally()
if (tally) {
  const pods = SEQ + 1 + RSS_PODS + BURST
  console.log(`kubelet requests over the run, per pod (${pods} pods): CRI ${round(tally.cri / pods, 1)}, API ${round(tally.api / pods, 1)}`)
  console.log(`  ${tally.line}`)
}
