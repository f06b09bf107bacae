// The API load balancer the host runs for a cluster with several control-plane nodes
// (provisioning/api-lb.mjs, plain Node: TCP, TLS passed through): the stable endpoint of the
// host's kubeconfig. The local provider runs it on its bridge address; the VM providers on
// 127.0.0.1 (multipass and virtualbox over the VMs' addresses, qemu over each control plane's
// API server forward). Pid and status in the cluster folder, log in logs/api-lb.log. Started
// again when its listen address or backends change (a VM came back with another address).
import { spawn } from 'node:child_process'
import { closeSync, mkdirSync, openSync, readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { API_LB_SCRIPT } from '../../provisioning/bundle'
import { isOurProcess, readPid, terminate } from './process'
import type { NodeRecord, ProviderContext } from './types'

export function apiLbFiles(clusterDir: string): { pid: string; status: string; log: string } {
  return { pid: join(clusterDir, 'api-lb.pid'), status: join(clusterDir, 'api-lb.json'), log: join(clusterDir, 'logs', 'api-lb.log') }
}

export function controlPlaneNodes(ctx: ProviderContext): NodeRecord[] {
  return ctx.nodes.filter((n) => n.role === 'control-plane')
}

/** Whether the cluster has several control-plane nodes (and so a balancer in front of them). */
export function hasSeveralControlPlanes(ctx: ProviderContext): boolean {
  return controlPlaneNodes(ctx).length > 1
}

/** A VM cluster's host endpoint when it has several control planes: 127.0.0.1 at its API server port. */
export function vmHostApiEndpoint(ctx: ProviderContext): { host: string; port: number } | undefined {
  const port = ctx.ports.apiServer
  return hasSeveralControlPlanes(ctx) && port ? { host: '127.0.0.1', port } : undefined
}

/** Starts (or re-points) a VM cluster's host balancer at each control plane's API server (`backendOf`). */
export async function pointVmHostApiLb(ctx: ProviderContext, backendOf: (node: NodeRecord) => string | undefined): Promise<void> {
  const ep = vmHostApiEndpoint(ctx)
  if (!ep) return
  const backends = controlPlaneNodes(ctx).flatMap((n) => {
    const backend = backendOf(n)
    return backend ? [backend] : []
  })
  await ensureHostApiLb(ctx, `${ep.host}:${ep.port}`, backends)
}

/** Stops the host balancer with the last running control plane (`stopping` is going down; `runs` says which others still do). */
export async function stopVmHostApiLbWithLast(ctx: ProviderContext, stopping: NodeRecord, runs: (node: NodeRecord) => boolean): Promise<void> {
  if (!hasSeveralControlPlanes(ctx)) return
  if (!controlPlaneNodes(ctx).some((n) => n.name !== stopping.name && runs(n))) await stopHostApiLb(ctx)
}

/** The balancer's pid when it runs (a reused pid running something else does not count). */
export function hostApiLbPid(clusterDir: string): number | undefined {
  const pid = readPid(apiLbFiles(clusterDir).pid)
  return pid && isOurProcess(pid, ['api-lb.mjs']) ? pid : undefined
}

interface LbStatus {
  listen?: string
  backends?: { address: string }[]
}

function readStatus(file: string): LbStatus | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as LbStatus
  } catch {
    return undefined
  }
}

/**
 * Runs the balancer on `listen` (HOST:PORT) over `backends` (HOST:PORT each); one already
 * running with the same listen address and backends is kept, one with others is replaced.
 */
export async function ensureHostApiLb(ctx: ProviderContext, listen: string, backends: readonly string[]): Promise<void> {
  const f = apiLbFiles(ctx.clusterDir)
  const running = hostApiLbPid(ctx.clusterDir)
  if (running) {
    const st = readStatus(f.status)
    const same = st?.listen === listen && JSON.stringify((st.backends ?? []).map((b) => b.address)) === JSON.stringify(backends)
    if (same) return
    ctx.log(`API load balancer: backends changed (now ${backends.join(', ')}); starting it again`)
    await stopHostApiLb(ctx)
  }
  mkdirSync(join(ctx.clusterDir, 'logs'), { recursive: true })
  rmSync(f.pid, { force: true })
  rmSync(f.status, { force: true })
  const args = [API_LB_SCRIPT, '--listen', listen, ...backends.flatMap((b) => ['--backend', b]), '--pid-file', f.pid, '--status-file', f.status]
  const fd = openSync(f.log, 'a')
  try {
    // Detached (its own session): it outlives this CLI call, as the cluster's machines do.
    spawn(process.execPath, args, { stdio: ['ignore', fd, fd], detached: true, windowsHide: true }).unref()
  } finally {
    closeSync(fd)
  }
  const deadline = Date.now() + 10_000
  while (!hostApiLbPid(ctx.clusterDir)) {
    if (Date.now() > deadline) throw new Error(`the API load balancer did not start listening on ${listen}: see ${f.log}`)
    await new Promise((res) => setTimeout(res, 50))
  }
  ctx.log(`API load balancer on ${listen} → ${backends.join(', ')}`)
}

export async function stopHostApiLb(ctx: ProviderContext): Promise<void> {
  const f = apiLbFiles(ctx.clusterDir)
  const pid = hostApiLbPid(ctx.clusterDir)
  if (pid) await terminate(pid, ['api-lb.mjs'], 5000)
  rmSync(f.pid, { force: true })
  rmSync(f.status, { force: true })
}
