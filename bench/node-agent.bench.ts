// Node-total memory (root + containerd): the RSS of everything KubeLab runs on a node next to
// containerd, in each process layout, with the same components and the same flags.
// - A worker (kubelet, proxy, netpol, ingress): four processes (one per component, the layout
//   before `kubelab-node agent`) and ONE `kubelab-node agent` process; against a control plane in
//   this process.
// - A control-plane node (apiserver on its embedded store, scheduler, controller-manager, dns,
//   kubelet, proxy, netpol, ingress): eight processes; the API server, scheduler and controller
//   manager as processes beside one agent of the five node parts (the layout before the control
//   plane joined the agent); and ONE agent with all eight parts. The API server runs in the
//   node's namespace and the others reach it at the node's address, as on a real node.
// All run the node bundle (out/node/kubelab-node.js, as VMs and local nodes do) in a network
// namespace with its own containerd. RSS is the highest sum over a few seconds once the node is
// Ready and idle.
// Pods mode (PODS=100 by default; PODS=0 skips it): after the one agent's idle figure, PODS busybox
// pods (locally built images, loaded before the node starts) are made on the worker through the
// scheduler; once all are Running and SETTLE_S has passed, the node total is measured again as the
// highest sum over a few seconds, with containerd's and the shims' RSS beside it (not ours: for
// context); then the pods are deleted and their sandboxes waited out (POD_TIMEOUT_S=300).
// Every process gets the Node.js flags the launchers give a kubelab-node process running its
// components (nodeProcessFlags in src-cluster/cmd/memory.ts); NODE_FLAGS='…' replaces them
// (NODE_FLAGS= for none) to compare, and their environment (NODE_PROCESS_ENV there);
// NODE_ENV_EXTRA='K=V …' sets more or other variables to compare (K= unsets K: MALLOC_ARENA_MAX=
// for glibc's default).
// Beside each worker agent figure: its RSS split (anonymous memory: V8's heap, malloc, stacks;
// file-backed: the node binary and libraries) and its thread count. HEAP=1 also takes a heap
// snapshot of the worker agent after each of its figures and prints its top consumers (writing a
// snapshot grows the process, so with HEAP=1 the pods figure reads higher than it is);
// HEAP_DIR=DIR keeps the snapshots there.
// Run under the e2e lock: flock /tmp/kubelab-e2e.lock node --import tsx bench/node-agent.bench.ts
//   (SETTLE_S=10, NODES=worker,control-plane, PODS=100, POD_TIMEOUT_S=300, NODE_FLAGS,
//   NODE_ENV_EXTRA, HEAP, HEAP_DIR)
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { request } from 'node:http'
import { closeSync, copyFileSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Node } from 'kubernetes-types/core/v1'
import { buildNodeBundle } from '../provisioning/bundle'
import type { KubeObject } from '../src-cluster/api/object'
import { writeKubeconfig } from '../src-cluster/apiserver/kubeconfig'
import { startControlPlane, type ControlPlane } from '../src-cluster/cmd/control-plane'
import { RES } from '../src-cluster/kit/resources'
import { NODE_PROCESS_ENV, nodeProcessFlags } from '../src-cluster/cmd/memory'
import { createClient, loadKubeconfig, type ClosableClient } from '../src-cluster/client'
import { createTestBridge, removeCgroupTree, startContainerdNode, type ContainerdNode, type TestBridge } from '../test/helpers/containerd'
import { benchKubeletArgs } from './lib/kubelet-args'
import { writeResults } from './lib/results'
import { round } from './lib/stats'
import { formatTable } from './lib/table'
import { atCleanup, benchTempDir } from './lib/cleanup'
import { deletePodsAndWait, loadTestImages, sleeperPod, waitPodsRunning } from './lib/pods'
import { CriClient } from '../src-cluster/kubelet/cri/client'
import { summarizeSnapshotFile, type HeapSummary } from './lib/heap-summary'
import { procKiB } from './lib/proc'

const SETTLE_MS = Number(process.env.SETTLE_S ?? 10) * 1000
const NODES = new Set((process.env.NODES ?? 'worker,control-plane').split(','))
const PODS = Number(process.env.PODS ?? 100)
const POD_TIMEOUT_MS = Number(process.env.POD_TIMEOUT_S ?? 300) * 1000
/** The Node.js flags of a process running `components`. */
const nodeFlags = (components: readonly string[]): readonly string[] =>
  process.env.NODE_FLAGS === undefined ? nodeProcessFlags(components) : process.env.NODE_FLAGS.split(' ').filter(Boolean)
const NODE_ENV_EXTRA = Object.fromEntries(
  (process.env.NODE_ENV_EXTRA ?? '')
    .split(' ')
    .filter(Boolean)
    .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
)
const HEAP = !!process.env.HEAP

function missing(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root (network namespaces, containerd, cgroups, iptables)'
  for (const bin of ['containerd', 'runc', 'nsenter', 'iptables']) if (spawnSync('sh', ['-c', `command -v ${bin}`]).status !== 0) return `needs ${bin} on PATH`
  if (!existsSync('/usr/lib/cni/bridge')) return 'needs the CNI plugins in /usr/lib/cni (Debian containernetworking-plugins)'
  return undefined
}
const why = missing()
if (why) {
  console.log(`node-agent.bench SKIPPED: ${why}`)
  process.exit(0)
}

// Issue 18's addresses: the upper half of a subnet no test uses.
const HOST_IP = '10.231.202.129'
const NODE_IP = '10.231.202.130'
const NODE = 'k18-bench'
const CP_NODE = 'k18-cp'
const dir = benchTempDir('kubelab-k18-bench-')
const cgroupRoot = `/kubelab-k18-bench-${process.pid}`
let cp: ControlPlane | undefined
let cpClient: ClosableClient | undefined
let bridge: TestBridge | undefined
let rt: ContainerdNode | undefined
let children: ChildProcess[] = []
let cri: CriClient | undefined
/** The pods mode's pods while they may exist (deleted first on cleanup). */
let podNames: string[] = []
const POD_LABELS = { bench: 'node-agent' }
const POD_SELECTOR = 'bench=node-agent'

/** Proportional set size (shared pages split among their users), MiB. */
function pssMiB(pid: number): number {
  return (procKiB(pid, 'smaps_rollup', 'Pss') ?? 0) / 1024
}

function rssMiB(pid: number): number {
  return (procKiB(pid, 'status', 'VmRSS') ?? 0) / 1024
}

async function stopChildren(): Promise<void> {
  await Promise.all(
    children.map(
      (c) =>
        new Promise<void>((done) => {
          if (c.exitCode !== null || c.signalCode !== null) return done()
          const t = setTimeout(() => c.kill('SIGKILL'), 15_000)
          c.once('exit', () => {
            clearTimeout(t)
            done()
          })
          c.kill('SIGTERM')
        }),
    ),
  )
  children = []
}

async function cleanup(): Promise<void> {
  // Pods first, while the agent runs, so its kubelet tears them down (CNI DEL, shims, cgroups);
  // the containerd node's stop kills what is left anyway.
  if (podNames.length && cp && cri && children.some((c) => c.exitCode === null)) {
    await deletePodsAndWait(cp.client, cri, podNames, { namespace: 'default', labelSelector: POD_SELECTOR, timeoutMs: 60_000 }).catch((e: unknown) =>
      console.error(`node-agent.bench: deleting the pods: ${e instanceof Error ? e.message : String(e)}`),
    )
  }
  await stopChildren()
  cri?.close()
  await rt?.stop()
  removeCgroupTree(cgroupRoot)
  cpClient?.close()
  await cp?.close()
  await bridge?.remove()
  rmSync(dir, { recursive: true, force: true })
}

/** Starts `kubelab-node ARGS` in the node's network namespace (nsenter execs node: the pid is its). */
function run(program: string, name: string, args: string[], components: readonly string[], flags: readonly string[] = []): ChildProcess {
  const fd = openSync(join(dir, `${name}.log`), 'a')
  const c = spawn('nsenter', [`--net=/run/netns/${rt!.netns}`, process.execPath, ...nodeFlags(components), ...flags, program, ...args], {
    stdio: ['ignore', fd, fd],
    env: Object.fromEntries(Object.entries({ ...NODE_PROCESS_ENV, ...process.env, ...NODE_ENV_EXTRA }).filter(([, v]) => v !== '')),
  })
  closeSync(fd)
  children.push(c)
  return c
}

async function readyAndIdle(what: string, client = cp!.client, node = NODE): Promise<void> {
  // Ready with a heartbeat from this start (the Node object stays between layouts).
  const since = Date.now()
  for (const end = Date.now() + 180_000; ;) {
    const n = await client.get<KubeObject & Node>(RES.nodes, undefined, node).catch(() => undefined)
    const ready = n?.status?.conditions?.find((c) => c.type === 'Ready')
    if (ready?.status === 'True' && Date.parse(ready.lastHeartbeatTime ?? '') >= since - 1000) break
    const dead = children.find((c) => c.exitCode !== null)
    if (dead) throw new Error(`${what}: a process exited ${dead.exitCode}; logs in ${dir}`)
    if (Date.now() > end) throw new Error(`${what}: node not Ready in 180 s; logs in ${dir}`)
    await new Promise((r) => setTimeout(r, 300))
  }
  await new Promise((r) => setTimeout(r, SETTLE_MS))
}

/** Every part of the agent on `socket` is running (what is measured runs what it should). */
async function allPartsRunning(socket: string, want: number): Promise<void> {
  const get = (): Promise<Record<string, { state: string }>> =>
    new Promise((ok, fail) => {
      const req = request({ socketPath: socket, path: '/parts' }, (res) => {
        let body = ''
        res.on('data', (d: Buffer) => (body += d.toString()))
        res.on('end', () => ok(JSON.parse(body) as Record<string, { state: string }>))
      })
      req.on('error', fail)
      req.end()
    })
  const st = await get()
  const running = Object.entries(st).filter(([, v]) => v.state === 'running')
  if (running.length !== want) throw new Error(`agent ${socket}: ${running.length} of ${want} parts running (${JSON.stringify(st)}); logs in ${dir}`)
}

/** A process's RSS split (MiB): anonymous (V8's heap, malloc, thread stacks) and file-backed (binary, libraries); its threads. */
function rssSplit(pid: number): { anon: number; file: number; threads: number } {
  try {
    const st = readFileSync(`/proc/${pid}/status`, 'utf8')
    const kb = (k: string): number => Number(new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(st)?.[1] ?? 0)
    return { anon: round(kb('RssAnon') / 1024, 1), file: round((kb('RssFile') + kb('RssShmem')) / 1024, 1), threads: kb('Threads') }
  } catch {
    return { anon: 0, file: 0, threads: 0 }
  }
}

/**
 * The heap profile of a process started with --heapsnapshot-signal=SIGUSR2 and
 * --diagnostic-dir=`where`: writing the snapshot changes the process's memory, so this is read
 * after its RSS. HEAP_DIR keeps the snapshot as `name`.heapsnapshot.
 */
async function heapOf(pid: number, where: string, name: string): Promise<HeapSummary> {
  const before = new Set(existsSync(where) ? readdirSync(where) : [])
  process.kill(pid, 'SIGUSR2')
  for (let i = 0; i < 600; i++) {
    await new Promise((r) => setTimeout(r, 500))
    const f = readdirSync(where).find((n) => n.endsWith('.heapsnapshot') && !before.has(n))
    if (!f) continue
    // Node writes the file in one go; its size stops changing when it is done.
    const size = statSync(join(where, f)).size
    await new Promise((r) => setTimeout(r, 2000))
    if (statSync(join(where, f)).size !== size || size === 0) continue
    if (process.env.HEAP_DIR) {
      mkdirSync(process.env.HEAP_DIR, { recursive: true })
      copyFileSync(join(where, f), join(process.env.HEAP_DIR, `${name}.heapsnapshot`))
    }
    const summary = summarizeSnapshotFile(join(where, f), 15)
    rmSync(join(where, f), { force: true })
    return summary
  }
  throw new Error(`process ${pid} wrote no heap snapshot`)
}

function printHeap(what: string, h: HeapSummary): void {
  const mib = (b: number): number => round(b / 2 ** 20, 2)
  console.log(
    `heap profile, ${what}: ${h.objects} objects, ${mib(h.totalBytes)} MiB (self sizes; strings another string also holds: ${mib(h.duplicateStringBytes)} MiB)`,
  )
  console.log(
    formatTable(
      ['what', 'count', 'MiB'],
      h.top.map((g) => [g.what, String(g.count), mib(g.bytes)]),
    ),
  )
}

/**
 * RSS of the node's containerd and of its shims (every process whose command line names its
 * root); with `pss`, also the shims' PSS (their shared pages counted once overall, not per shim).
 */
function runtimeRss(root: string, pss = false): { containerd: number; shims: number; shimCount: number; shimsPss: number } {
  const out = { containerd: 0, shims: 0, shimCount: 0, shimsPss: 0 }
  for (const d of readdirSync('/proc')) {
    const pid = Number(d)
    if (!Number.isInteger(pid) || pid === process.pid) continue
    let argv: string[]
    try {
      argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')
    } catch {
      continue // gone meanwhile
    }
    if (!argv.some((a) => a.includes(root))) continue
    if (argv[0]!.includes('containerd-shim')) {
      out.shims += rssMiB(pid)
      out.shimCount++
      if (pss) out.shimsPss += pssMiB(pid)
    } else if (/(^|\/)containerd$/.test(argv[0]!)) out.containerd += rssMiB(pid)
  }
  return out
}

/**
 * Highest total RSS of the running children over 5 s; with `runtimeRoot`, also the highest RSS
 * of that containerd and of its shims over the same seconds, and the shims' PSS at the end.
 */
async function steadyTotal(
  runtimeRoot?: string,
): Promise<{ total: number; each: number[]; containerd: number; shims: number; shimCount: number; shimsPss: number }> {
  let best = { total: 0, each: [] as number[] }
  const runtime = { containerd: 0, shims: 0, shimCount: 0, shimsPss: 0 }
  for (const end = Date.now() + 5000; Date.now() < end;) {
    const each = children.map((c) => rssMiB(c.pid!))
    const total = each.reduce((a, b) => a + b, 0)
    if (total > best.total) best = { total, each }
    if (runtimeRoot) {
      const r = runtimeRss(runtimeRoot)
      runtime.containerd = Math.max(runtime.containerd, r.containerd)
      if (r.shims > runtime.shims) Object.assign(runtime, { shims: r.shims, shimCount: r.shimCount })
    }
    await new Promise((r) => setTimeout(r, 250))
  }
  if (runtimeRoot) runtime.shimsPss = runtimeRss(runtimeRoot, true).shimsPss
  return { ...best, ...runtime }
}

const results: Record<string, unknown> = {}
// Also on Ctrl-C: the agents, containerd, cgroups, the control plane, the bridge and the folder.
const teardown = atCleanup(cleanup)
try {
  const bundle = await buildNodeBundle({ outDir: join(dir, 'bundle') })
  bridge = await createTestBridge(`k18b${process.pid % 1000}`, `${HOST_IP}/25`)
  cp = await startControlPlane({
    dataDir: join(dir, 'data'),
    bindAddress: HOST_IP,
    securePort: 0,
    adminKubeconfig: join(dir, 'admin.kubeconfig'),
    extraSANs: [HOST_IP],
    log: () => {},
  })
  const api = cp.apiserver
  rt = await startContainerdNode(`k18${process.pid % 1000}`, { bridge, ip: NODE_IP })
  if (NODES.has('worker') && PODS > 0) {
    // The images before any agent starts: what the node holds, not what it pulls, when measured.
    await loadTestImages(rt, dir)
    cri = new CriClient(rt.socket)
  }
  if (NODES.has('worker')) {
    const kc = join(dir, 'node.kubeconfig')
    writeKubeconfig(kc, { server: api.url, caPem: api.pki.ca.certPem, user: 'kubelab-node', certPem: api.admin.certPem, keyPem: api.admin.keyPem })
    const nodeDir = join(dir, NODE)
    mkdirSync(nodeDir, { recursive: true })
    const parts: { name: string; args: string[] }[] = [
      {
        name: 'kubelet',
        args: benchKubeletArgs({ kubeconfig: kc, nodeName: NODE, nodeIp: NODE_IP, socket: rt.socket, nodeDir, cniConfDir: rt.cniConfDir, cgroupRoot }),
      },
      { name: 'proxy', args: ['--kubeconfig', kc, '--node-name', NODE] },
      { name: 'netpol', args: ['--kubeconfig', kc, '--node-name', NODE] },
      { name: 'ingress', args: ['--kubeconfig', kc, '--node-name', NODE, '--address', NODE_IP, '--http-port', '80', '--https-port', '443'] },
    ]

    // Before: one process per component.
    for (const p of parts) run(bundle.program, p.name, [p.name, ...p.args], [p.name])
    await readyAndIdle('one process per component')
    const before = await steadyTotal()
    console.log(`one process per component: ${round(before.total, 1)} MiB (${parts.map((p, i) => `${p.name} ${round(before.each[i]!, 1)}`).join(', ')})`)
    await stopChildren()

    // After: one agent process with the same parts and flags.
    const conf = join(dir, 'agent.json')
    writeFileSync(conf, JSON.stringify({ parts }))
    const heapDir = join(dir, 'heap')
    mkdirSync(heapDir, { recursive: true })
    const agentProc = run(
      bundle.program,
      'agent',
      ['agent', '--config', conf, '--control-socket', join(dir, 'agent.sock'), '--stopped-dir', join(dir, 'stopped')],
      parts.map((p) => p.name),
      HEAP ? ['--heapsnapshot-signal=SIGUSR2', `--diagnostic-dir=${heapDir}`] : [],
    )
    await readyAndIdle('kubelab-node agent')
    await allPartsRunning(join(dir, 'agent.sock'), parts.length)
    const after = await steadyTotal(rt.root)
    const afterSplit = rssSplit(agentProc.pid!)
    console.log(
      `one agent process: ${round(after.total, 1)} MiB (anonymous ${afterSplit.anon}, file-backed ${afterSplit.file}, ${afterSplit.threads} threads; containerd ${round(after.containerd, 1)} MiB)`,
    )
    results.agentRssSplitMiB = { idle: afterSplit }
    const idleHeap = HEAP ? await heapOf(agentProc.pid!, heapDir, 'agent-idle') : undefined
    if (idleHeap) results.agentHeapProfile = { idle: idleHeap }
    if (idleHeap) printHeap('one agent process, idle', idleHeap)

    // Pods mode: the same agent with PODS pods on the node.
    let withPods: Awaited<ReturnType<typeof steadyTotal>> | undefined
    let allRunningS = 0
    if (PODS > 0) {
      podNames = Array.from({ length: PODS }, (_, i) => `agent-bench-${i}`)
      const t0 = Date.now()
      await Promise.all(podNames.map((n) => cp!.client.create(RES.pods, 'default', sleeperPod(n, POD_LABELS))))
      await waitPodsRunning(cp.client, {
        namespace: 'default',
        labelSelector: POD_SELECTOR,
        want: PODS,
        timeoutMs: POD_TIMEOUT_MS,
        alive: () => {
          if (children.some((c) => c.exitCode !== null)) throw new Error(`the agent exited during the pods mode; logs in ${dir}`)
        },
      })
      allRunningS = (Date.now() - t0) / 1000
      await new Promise((r) => setTimeout(r, SETTLE_MS))
      await allPartsRunning(join(dir, 'agent.sock'), parts.length)
      withPods = await steadyTotal(rt.root)
      const podsSplit = rssSplit(agentProc.pid!)
      console.log(
        `one agent process with ${PODS} pods (all Running in ${round(allRunningS, 1)} s): ${round(withPods.total, 1)} MiB ` +
          `(anonymous ${podsSplit.anon}, file-backed ${podsSplit.file}, ${podsSplit.threads} threads${HEAP ? '; after the idle heap snapshot' : ''}); ` +
          `containerd ${round(withPods.containerd, 1)} MiB, ${withPods.shimCount} shims ${round(withPods.shims, 1)} MiB (PSS ${round(withPods.shimsPss, 1)})`,
      )
      results.agentRssSplitMiB = { idle: afterSplit, [`with${PODS}Pods`]: podsSplit }
      if (HEAP) {
        const h = await heapOf(agentProc.pid!, heapDir, `agent-${PODS}-pods`)
        printHeap(`one agent process, ${PODS} pods Running`, h)
        results.agentHeapProfile = { idle: idleHeap, [`with${PODS}Pods`]: h }
      }
      await deletePodsAndWait(cp.client, cri!, podNames, { namespace: 'default', labelSelector: POD_SELECTOR, timeoutMs: POD_TIMEOUT_MS })
      podNames = []
    }
    await stopChildren()

    console.log(
      `worker node agents (${parts.map((p) => p.name).join(', ')}), idle, node bundle, Node.js flags: ${nodeFlags(parts.map((p) => p.name)).join(' ') || 'none'}`,
    )
    console.log(
      formatTable(
        ['node-total agent RSS', 'MiB', 'processes'],
        [
          ['one process per component (before)', round(before.total, 1), String(parts.length)],
          ['kubelab-node agent (after)', round(after.total, 1), '1'],
          ...(withPods ? [[`kubelab-node agent, ${PODS} pods Running`, round(withPods.total, 1), '1']] : []),
        ],
      ),
    )
    if (withPods) {
      console.log(`containerd and its shims on the node (not ours; for context)`)
      console.log(
        formatTable(
          ['runtime RSS', 'containerd MiB', 'shims MiB (summed RSS)', 'shims MiB (PSS)', 'shims'],
          [
            ['idle', round(after.containerd, 1), '0', '0', '0'],
            [`${PODS} pods Running`, round(withPods.containerd, 1), round(withPods.shims, 1), round(withPods.shimsPss, 1), String(withPods.shimCount)],
          ],
        ),
      )
    }
    results.nodeTotalRssMiB = {
      perComponent: round(before.total, 1),
      perComponentEach: Object.fromEntries(parts.map((p, i) => [p.name, round(before.each[i]!, 1)])),
      agent: round(after.total, 1),
      ...(withPods ? { [`agentWith${PODS}Pods`]: round(withPods.total, 1) } : {}),
    }
    results.runtimeRssMiB = {
      idle: { containerd: round(after.containerd, 1) },
      ...(withPods
        ? {
            [`with${PODS}Pods`]: {
              containerd: round(withPods.containerd, 1),
              shims: round(withPods.shims, 1),
              shimsPss: round(withPods.shimsPss, 1),
              shimCount: withPods.shimCount,
              allRunningS: round(allRunningS, 1),
            },
          }
        : {}),
    }
  }

  if (NODES.has('control-plane')) {
    // The API server in the node's namespace on the node's address (its own PKI and admin
    // credentials in its data directory); every other component reaches it there.
    const data = join(dir, 'cp-apiserver')
    const cpkc = join(dir, 'cp-admin.kubeconfig')
    const cpDir = join(dir, CP_NODE)
    mkdirSync(cpDir, { recursive: true })
    const cpParts: { name: string; args: string[] }[] = [
      {
        name: 'apiserver',
        args: [
          '--data-dir',
          data,
          '--bind-address',
          '0.0.0.0',
          '--secure-port',
          '6443',
          '--advertise-address',
          NODE_IP,
          '--tls-san',
          NODE_IP,
          '--admin-kubeconfig',
          cpkc,
        ],
      },
      { name: 'scheduler', args: ['--kubeconfig', cpkc] },
      { name: 'controller-manager', args: ['--kubeconfig', cpkc] },
      { name: 'dns', args: ['--kubeconfig', cpkc, '--bind', `${NODE_IP}:53`, '--advertise-address', NODE_IP, '--node-name', CP_NODE] },
      {
        name: 'kubelet',
        args: [
          ...benchKubeletArgs({
            kubeconfig: cpkc,
            nodeName: CP_NODE,
            nodeIp: NODE_IP,
            socket: rt.socket,
            nodeDir: cpDir,
            cniConfDir: rt.cniConfDir,
            cgroupRoot,
          }),
          '--register-with-taints',
          'node-role.kubernetes.io/control-plane=:NoSchedule',
        ],
      },
      { name: 'proxy', args: ['--kubeconfig', cpkc, '--node-name', CP_NODE] },
      { name: 'netpol', args: ['--kubeconfig', cpkc, '--node-name', CP_NODE] },
      { name: 'ingress', args: ['--kubeconfig', cpkc, '--node-name', CP_NODE, '--address', NODE_IP, '--http-port', '80', '--https-port', '443'] },
    ]
    const NODE_PARTS = new Set(['dns', 'kubelet', 'proxy', 'netpol', 'ingress'])
    /** The API server process first (the others read the kubeconfig it writes), then the rest. */
    const startApiServerProcess = async (): Promise<void> => {
      rmSync(cpkc, { force: true })
      run(bundle.program, 'cp-apiserver', ['apiserver', ...cpParts[0]!.args], ['apiserver'])
      for (const end = Date.now() + 120_000; !existsSync(cpkc);) {
        if (Date.now() > end || children.some((c) => c.exitCode !== null)) throw new Error(`the API server did not start; logs in ${dir}`)
        await new Promise((r) => setTimeout(r, 200))
      }
    }
    const agents: { socket: string; parts: number }[] = []
    const agentWith = (name: string, list: { name: string; args: string[] }[]): void => {
      agents.push({ socket: join(dir, `${name}.sock`), parts: list.length })
      const conf = join(dir, `${name}.json`)
      writeFileSync(conf, JSON.stringify({ parts: list }))
      run(
        bundle.program,
        name,
        ['agent', '--config', conf, '--control-socket', join(dir, `${name}.sock`), '--stopped-dir', join(dir, `${name}-stopped`)],
        list.map((p) => p.name),
      )
    }
    const layouts: { name: string; processes: number; start: () => Promise<void> }[] = [
      {
        name: 'one process per component (before issue 18)',
        processes: cpParts.length,
        start: async () => {
          await startApiServerProcess()
          for (const p of cpParts.slice(1)) run(bundle.program, `cp-${p.name}`, [p.name, ...p.args], [p.name])
        },
      },
      {
        name: 'apiserver, scheduler, controller-manager + agent (before)',
        processes: 4,
        start: async () => {
          await startApiServerProcess()
          for (const p of cpParts.slice(1).filter((x) => !NODE_PARTS.has(x.name))) run(bundle.program, `cp-${p.name}`, [p.name, ...p.args], [p.name])
          agentWith(
            'cp-node-agent',
            cpParts.filter((x) => NODE_PARTS.has(x.name)),
          )
        },
      },
      {
        name: 'kubelab-node agent with every part (after)',
        processes: 1,
        start: async () => agentWith('cp-agent', cpParts),
      },
    ]
    const rows: [string, number, string][] = []
    const cpResults: Record<string, number> = {}
    for (const l of layouts) {
      await l.start()
      cpClient ??= createClient(loadKubeconfig(cpkc))
      await readyAndIdle(l.name, cpClient, CP_NODE)
      // The scheduler and controller manager lead (they hold their Leases) and every agent part runs.
      for (const lease of ['kube-scheduler', 'kube-controller-manager']) {
        const h = (await cpClient.get<KubeObject & { spec?: { holderIdentity?: string } }>(RES.leases, 'kube-system', lease))?.spec?.holderIdentity
        if (!h) throw new Error(`${l.name}: nobody holds ${lease}; logs in ${dir}`)
      }
      for (const a of agents.splice(0)) await allPartsRunning(a.socket, a.parts)
      const m = await steadyTotal()
      console.log(`${l.name}: ${round(m.total, 1)} MiB (${m.each.map((x) => round(x, 1)).join(' + ')})`)
      rows.push([l.name, round(m.total, 1), String(l.processes)])
      cpResults[l.name] = round(m.total, 1)
      await stopChildren()
    }
    console.log(
      `control-plane node (${cpParts.map((p) => p.name).join(', ')}), idle, embedded store, node bundle, Node.js flags: ${nodeFlags(['dns']).join(' ') || 'none'} (node parts alone), ${nodeFlags(['apiserver']).join(' ') || 'none'} (with the control plane)`,
    )
    console.log(formatTable(['control-plane node-total RSS', 'MiB', 'processes'], rows))
    results.controlPlaneNodeTotalRssMiB = {
      perComponent: cpResults[layouts[0]!.name],
      controlPlaneProcessesPlusAgent: cpResults[layouts[1]!.name],
      agent: cpResults[layouts[2]!.name],
    }
  }
  results.loadAverage = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).map(Number)
  console.log(`results: ${await writeResults('node-agent', results)}`)
} finally {
  await teardown()
}
