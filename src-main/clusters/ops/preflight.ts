// Checks run before creating a cluster (and shown live in the wizard): provider present, name
// free, enough memory, disk and CPU, kubectl on PATH. Host facts come in through `HostFacts` so
// the rules are tested with any numbers.
import { existsSync } from 'node:fs'
import { statfs } from 'node:fs/promises'
import { cpus, freemem } from 'node:os'
import { delimiter, dirname, join } from 'node:path'
import { capabilitiesOf, type CreateClusterParams, type PreflightCheck, type PreflightPreset, type PreflightResult } from '../../contract'
import type { DetectResult } from '../../providers/types'
import { checkAddressConflicts, checkLocalNetworkPermission, checkResources, checkVmSubnetRoute, plannedRanges } from '../../providers/preflight/checks'
import { readVmHostFacts, type VmHostFacts } from '../../providers/preflight/host'
import { presetFor, type NodeSize } from '../../providers/preflight/presets'
import { checkClusterName, clusterDir, readRecord } from '../state'
import { parseCpu, parseMemory } from '../../contract'

export interface HostFacts {
  freeMemory(): number
  cpuCount(): number
  /** Free bytes on the file system holding `path` (or its nearest existing parent). */
  freeDisk(path: string): Promise<number | undefined>
  which(program: string): string | undefined
  detect(provider: string): Promise<DetectResult>
  /** Routes, interfaces and memory for the VM providers' checks (absent: generic checks only). */
  vmHost?(diskPath: string): Promise<VmHostFacts>
  /** The provider's own rows (qemu: accelerator, cloud image), run with the KubeLab home. */
  providerChecks?(provider: string, home: string): Promise<PreflightCheck[]>
}

/** The disk each VM gets (the providers' default). */
export const VM_DISK = '20Gi'

/** The VM checks from providers/preflight, for the requested nodes, plus the preset that fits. */
export function vmChecks(
  params: Pick<CreateClusterParams, 'provider' | 'workers' | 'cpu' | 'memory' | 'controlPlanes'>,
  vm: VmHostFacts,
): { checks: PreflightCheck[]; preset: PreflightPreset } {
  const size: NodeSize = { cpus: Math.max(1, Math.ceil(parseCpu(params.cpu) ?? 1)), memory: params.memory, disk: VM_DISK }
  const nodes = Array.from({ length: params.workers + (params.controlPlanes ?? 1) }, () => size)
  const checks = [...checkResources(vm, nodes), ...checkAddressConflicts(vm, plannedRanges(params.provider))]
  const route = checkVmSubnetRoute(vm, params.provider)
  if (route) checks.push(route)
  const ln = checkLocalNetworkPermission(vm, params.provider)
  if (ln) checks.push(ln)
  const pr = presetFor(vm.totalMemory)
  const preset: PreflightPreset = {
    id: pr.id,
    title: pr.title,
    workers: pr.workers,
    cpu: String(pr.worker.cpus),
    memory: pr.worker.memory,
    controlPlaneMemory: pr.controlPlane.memory,
  }
  const fits = params.workers <= pr.workers && quantity(params.memory) <= quantity(pr.controlPlane.memory)
  checks.push({
    id: 'vm-preset',
    title: 'Size preset',
    status: fits ? 'pass' : 'warn',
    detail: fits
      ? `the request fits the "${pr.id}" preset for this machine (${pr.title})`
      : `this machine's preset is "${pr.id}" (${pr.title}); ${params.workers} workers with ${params.memory} each is more: expect swapping, or choose the preset`,
  })
  return { checks, preset }
}

function quantity(q: string): number {
  return parseMemory(q) ?? Number.POSITIVE_INFINITY
}

const MiB = 2 ** 20
const GiB = 2 ** 30

/** What the host must give: hollow nodes live in one process; VM nodes take what they are given. */
export function hostNeeds(params: Pick<CreateClusterParams, 'provider' | 'workers' | 'memory' | 'cpu' | 'controlPlanes'>): {
  memory: number
  disk: number
  cpu: number
} {
  const nodes = params.workers + (params.controlPlanes ?? 1)
  if (capabilitiesOf(params.provider).hollowNodes) return { memory: 200 * MiB + 2 * MiB * nodes, disk: 100 * MiB, cpu: 0 }
  return { memory: (parseMemory(params.memory) ?? 0) * nodes, disk: 5 * GiB * nodes, cpu: (parseCpu(params.cpu) ?? 0) * nodes }
}

export function formatBytes(bytes: number): string {
  if (bytes >= GiB) return `${(bytes / GiB).toFixed(1)} GiB`
  return `${Math.round(bytes / MiB)} MiB`
}

export async function runPreflight(params: CreateClusterParams, home: string, host: HostFacts): Promise<PreflightResult> {
  const checks: PreflightCheck[] = []
  checks.push(nameCheck(params.name, home))
  const d = await host.detect(params.provider).catch((e: unknown) => ({ available: false, problem: (e as Error).message }) as DetectResult)
  checks.push(
    d.available
      ? { id: 'provider', title: `Provider ${params.provider}`, status: 'pass', detail: `available${d.version ? ` (${d.version})` : ''}` }
      : { id: 'provider', title: `Provider ${params.provider}`, status: 'fail', detail: d.problem ?? 'not available on this machine' },
  )
  if (d.available && host.providerChecks) {
    checks.push(
      ...(await host
        .providerChecks(params.provider, home)
        .catch((e: unknown): PreflightCheck[] => [
          { id: 'provider-checks', title: `Provider ${params.provider} checks`, status: 'warn', detail: `could not run: ${(e as Error).message}` },
        ])),
    )
  }
  if (capabilitiesOf(params.provider).vm && host.vmHost) {
    // VMs: memory with a host reserve, CPU overcommit, disk, address ranges and presets.
    let vm: VmHostFacts | undefined
    try {
      vm = await host.vmHost(home)
    } catch (e) {
      checks.push({
        id: 'vm-host',
        title: 'Host facts',
        status: 'warn',
        detail: `could not read this machine's memory, routes or interfaces (${(e as Error).message}): the VM checks were skipped`,
      })
    }
    if (vm) {
      const r = vmChecks(params, vm)
      checks.push(...r.checks, kubectlCheck(host))
      return { ok: checks.every((c) => c.status !== 'fail'), checks, preset: r.preset }
    }
  }
  const needs = hostNeeds(params)
  const free = host.freeMemory()
  const simulatedNote = capabilitiesOf(params.provider).hollowNodes ? ` (hollow nodes: ${params.memory} per node is advertised capacity, not host memory)` : ''
  checks.push({
    id: 'memory',
    title: 'Free memory',
    status: needs.memory > free ? 'fail' : needs.memory > free * 0.8 ? 'warn' : 'pass',
    detail:
      needs.memory > free
        ? `needs ${formatBytes(needs.memory)}, only ${formatBytes(free)} free: close programs or choose fewer workers / less memory per node`
        : `needs ${formatBytes(needs.memory)}, ${formatBytes(free)} free${needs.memory > free * 0.8 ? ': tight, the machine may swap' : ''}${simulatedNote}`,
  })
  const disk = await host.freeDisk(home)
  checks.push(
    disk === undefined
      ? { id: 'disk', title: 'Free disk', status: 'warn', detail: `could not measure free space under ${home}` }
      : {
          id: 'disk',
          title: 'Free disk',
          status: needs.disk > disk ? 'fail' : 'pass',
          detail:
            needs.disk > disk
              ? `needs ${formatBytes(needs.disk)} under ${home}, only ${formatBytes(disk)} free`
              : `needs ${formatBytes(needs.disk)}, ${formatBytes(disk)} free under ${home}`,
        },
  )
  const cores = host.cpuCount()
  checks.push(
    needs.cpu === 0
      ? { id: 'cpu', title: 'CPU', status: 'pass', detail: `${cores} cores; hollow nodes advertise ${params.cpu} CPU each without using it` }
      : {
          id: 'cpu',
          title: 'CPU',
          status: needs.cpu > cores ? 'warn' : 'pass',
          detail:
            needs.cpu > cores
              ? `${needs.cpu} CPUs asked in total, the host has ${cores}: nodes will share cores and run slower`
              : `${needs.cpu} CPUs in total, the host has ${cores}`,
        },
  )
  checks.push(kubectlCheck(host))
  return { ok: checks.every((c) => c.status !== 'fail'), checks }
}

function kubectlCheck(host: HostFacts): PreflightCheck {
  const kubectl = host.which('kubectl')
  return kubectl
    ? { id: 'kubectl', title: 'kubectl', status: 'pass', detail: `found at ${kubectl}` }
    : { id: 'kubectl', title: 'kubectl', status: 'warn', detail: 'not on PATH: the cluster works, but terminals cannot run kubectl until you install it' }
}

function nameCheck(name: string, home: string): PreflightCheck {
  const title = `Name ${name}`
  try {
    checkClusterName(name)
  } catch (e) {
    return { id: 'name', title, status: 'fail', detail: (e as Error).message }
  }
  let rec
  try {
    rec = readRecord(clusterDir(home, name))
  } catch (e) {
    return { id: 'name', title, status: 'fail', detail: (e as Error).message }
  }
  if (!rec) return { id: 'name', title, status: 'pass', detail: 'free' }
  if (rec.state === 'creating' || rec.state === 'error')
    return { id: 'name', title, status: 'warn', detail: `an unfinished cluster ${name} exists: creating resumes it` }
  return { id: 'name', title, status: 'fail', detail: `cluster ${name} already exists (state ${rec.state}): pick another name or delete it first` }
}

/** The real host. */
export function hostFacts(env: NodeJS.ProcessEnv, detect: HostFacts['detect'], providerChecks?: HostFacts['providerChecks']): HostFacts {
  return {
    ...(providerChecks ? { providerChecks } : {}),
    freeMemory: () => freemem(),
    cpuCount: () => cpus().length,
    async freeDisk(path) {
      let p = path
      while (!existsSync(p) && dirname(p) !== p) p = dirname(p)
      try {
        const s = await statfs(p)
        return s.bavail * s.bsize
      } catch {
        return undefined
      }
    },
    which: (program) => which(program, env),
    detect,
    async vmHost(diskPath) {
      let p = diskPath
      while (!existsSync(p) && dirname(p) !== p) p = dirname(p)
      return readVmHostFacts(p)
    },
  }
}

export function which(program: string, env: NodeJS.ProcessEnv): string | undefined {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!dir) continue
    const candidate = join(dir, program)
    if (existsSync(candidate)) return candidate
  }
  return undefined
}
