// The `simulated` provider: no machines. The control-plane node is one background process
// (`kubelab-node control-plane`) running the API server, scheduler, controller manager AND
// the hollow worker nodes; a worker node "stops" and "starts" through that process's control
// API (a unix socket in the cluster folder). Works on any OS, thousands of nodes.
import { spawn } from 'node:child_process'
import { closeSync, existsSync, mkdirSync, openSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { CONTROL_PLANE_PROCESS_FLAGS, NODE_PROCESS_ENV } from '../../src-cluster/cmd/memory'
import { controlRequest } from '../../src-cluster/simulated/control-api'
import { isOurProcess, readPid, removePid, terminate, writePid } from './process'
import type { DetectResult, NodeRecord, NodeStatusReport, Provider, ProviderContext, SshTarget } from './types'

/** The program that runs cluster components; KUBELAB_NODE_BIN overrides (packaged app). */
export function kubelabNodeBin(env: NodeJS.ProcessEnv = process.env): string {
  return env.KUBELAB_NODE_BIN ?? fileURLToPath(new URL('../../bin/kubelab-node.mjs', import.meta.url))
}

export const simulatedFiles = (dir: string) => ({
  dataDir: join(dir, 'data'),
  kubeconfig: join(dir, 'kubeconfig'),
  pidFile: join(dir, 'control-plane.pid'),
  controlSocket: join(dir, 'control.sock'),
  log: join(dir, 'logs', 'control-plane.log'),
})

/** Command-line markers that identify this cluster's control-plane process. */
function markers(ctx: ProviderContext): string[] {
  return ['control-plane', simulatedFiles(ctx.clusterDir).dataDir]
}

/** The running control-plane pid, or undefined (a stale pid file is removed). */
export function controlPlanePid(ctx: ProviderContext): number | undefined {
  const f = simulatedFiles(ctx.clusterDir)
  const pid = readPid(f.pidFile)
  if (pid === undefined) return undefined
  if (isOurProcess(pid, markers(ctx))) return pid
  removePid(f.pidFile)
  return undefined
}

function controlPlaneArgs(ctx: ProviderContext): string[] {
  const f = simulatedFiles(ctx.clusterDir)
  const workers = ctx.nodes.filter((n) => n.role === 'worker')
  const control = ctx.nodes.find((n) => n.role === 'control-plane')
  const port = ctx.ports.apiServer
  if (!port) throw new Error(`cluster ${ctx.clusterName} has no API server port recorded in cluster.json: delete and create it again`)
  const args = [
    'control-plane',
    '--data-dir',
    f.dataDir,
    '--secure-port',
    String(port),
    '--admin-kubeconfig',
    f.kubeconfig,
    '--simulated-nodes',
    String(workers.length),
    '--prefix',
    ctx.settings.prefix ?? 'node-',
    '--control-socket',
    f.controlSocket,
  ]
  if (control) args.push('--control', '--control-name', control.name)
  // A node stopped for a drill stays stopped when the cluster starts again.
  const drill = workers.filter((n) => n.drillStopped).map((n) => n.name)
  if (drill.length) args.push('--stopped', drill.join(','))
  const passThrough: Record<string, string> = {
    startDelay: '--start-delay',
    runTime: '--run-time',
    cpu: '--cpu',
    memory: '--memory',
    pods: '--pods',
    nodeMonitorGracePeriod: '--node-monitor-grace-period',
    defaultTolerationSeconds: '--default-toleration-seconds',
    clusterCIDR: '--cluster-cidr',
  }
  for (const [key, flag] of Object.entries(passThrough)) if (ctx.settings[key] !== undefined) args.push(flag, ctx.settings[key]!)
  return args
}

/** Node.js flags of the control-plane process: those of every control-plane kubelab-node process (src-cluster/cmd/memory.ts). */
export const CONTROL_PLANE_NODE_FLAGS: readonly string[] = CONTROL_PLANE_PROCESS_FLAGS

async function startControlPlane(ctx: ProviderContext): Promise<void> {
  const existing = controlPlanePid(ctx)
  if (existing) {
    ctx.log(`control plane already running (pid ${existing})`)
    return
  }
  const f = simulatedFiles(ctx.clusterDir)
  mkdirSync(join(ctx.clusterDir, 'logs'), { recursive: true })
  mkdirSync(f.dataDir, { recursive: true, mode: 0o700 })
  const out = openSync(f.log, 'a')
  try {
    const child = spawn(process.execPath, [...CONTROL_PLANE_NODE_FLAGS, kubelabNodeBin(), ...controlPlaneArgs(ctx)], {
      detached: true,
      stdio: ['ignore', out, out],
      cwd: ctx.clusterDir,
      // As every launcher of a kubelab-node process (MALLOC_ARENA_MAX=2); a variable already in
      // the environment wins, so a bench can compare.
      env: { ...NODE_PROCESS_ENV, ...process.env },
    })
    if (child.pid === undefined) throw new Error(`could not start ${process.execPath} ${kubelabNodeBin()}: see ${f.log}`)
    writePid(f.pidFile, child.pid)
    child.unref()
    ctx.log(`control plane started (pid ${child.pid}, log ${f.log})`)
  } finally {
    closeSync(out)
  }
}

function controlPlaneDown(ctx: ProviderContext, what: string): Error {
  return new Error(`cannot ${what}: the control plane of cluster ${ctx.clusterName} is not running (start it with: kubelab start ${ctx.clusterName})`)
}

export const simulatedProvider: Provider = {
  name: 'simulated',

  async detect(): Promise<DetectResult> {
    const bin = kubelabNodeBin()
    return existsSync(bin)
      ? { available: true, version: `node ${process.version}` }
      : { available: false, problem: `${bin} is missing: reinstall KubeLab or set KUBELAB_NODE_BIN` }
  },

  async createNode(_ctx, node) {
    // Hollow nodes need no machine: the control-plane process registers them when it starts.
    return { ...node }
  },

  async start(ctx, node) {
    if (node.role === 'control-plane') return startControlPlane(ctx)
    if (!controlPlanePid(ctx)) throw controlPlaneDown(ctx, `start node ${node.name}`)
    await controlRequest(simulatedFiles(ctx.clusterDir).controlSocket, 'POST', `/nodes/${encodeURIComponent(node.name)}/start`)
  },

  async stop(ctx, node) {
    if (node.role === 'control-plane') {
      const pid = controlPlanePid(ctx)
      if (pid) {
        const how = await terminate(pid, markers(ctx))
        ctx.log(`control plane (pid ${pid}) ${how === 'killed' ? 'did not stop in time and was killed' : 'stopped'}`)
      }
      removePid(simulatedFiles(ctx.clusterDir).pidFile)
      return
    }
    if (!controlPlanePid(ctx)) throw controlPlaneDown(ctx, `stop node ${node.name}`)
    await controlRequest(simulatedFiles(ctx.clusterDir).controlSocket, 'POST', `/nodes/${encodeURIComponent(node.name)}/stop`)
  },

  async delete(ctx, node) {
    // Only the control-plane node owns a process; the cluster manager removes the folder.
    if (node.role === 'control-plane') await simulatedProvider.stop(ctx, node)
  },

  async list(ctx): Promise<NodeStatusReport[]> {
    const pid = controlPlanePid(ctx)
    if (!pid) return ctx.nodes.map((n) => ({ name: n.name, state: 'stopped' as const }))
    let live: { name: string; running: boolean }[] = []
    try {
      live = (await controlRequest<{ nodes: { name: string; running: boolean }[] }>(simulatedFiles(ctx.clusterDir).controlSocket, 'GET', '/nodes', 3000)).nodes
    } catch {
      return ctx.nodes.map((n) => ({ name: n.name, state: n.role === 'control-plane' ? ('running' as const) : ('unknown' as const) }))
    }
    return ctx.nodes.map((n) => {
      const l = live.find((x) => x.name === n.name)
      return {
        name: n.name,
        state: l ? (l.running ? ('running' as const) : ('stopped' as const)) : n.role === 'control-plane' ? ('running' as const) : ('unknown' as const),
      }
    })
  },

  async address(): Promise<string | undefined> {
    return '127.0.0.1'
  },

  async sshTarget(): Promise<SshTarget | undefined> {
    return undefined
  },
}

export type { NodeRecord }
