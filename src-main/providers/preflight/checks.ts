// Preflight for VM providers: resources against the requested nodes, the hypervisor, address
// ranges against the host's interfaces and routes, and the macOS Local Network permission.
// Pure functions over VmHostFacts; every warn/fail detail says what to do. Results use the
// contract's PreflightCheck shape so the wizard shows them next to the generic checks.
import type { PreflightCheck } from '../../contract'
import type { DetectResult } from '../types'
import { overlaps, parseCidr } from './cidr'
import type { VmHostFacts } from './host'
import { presetFor, type NodeSize } from './presets'

const GiB = 2 ** 30
/** Kept free for the host OS, the app and a browser. */
export const HOST_RESERVE = 2 * GiB

const gib = (n: number) => `${(n / GiB).toFixed(1)} GiB`

export function quantityBytes(quantity: string): number {
  const m = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|K|M|G|T)?$/.exec(quantity.trim())
  if (!m) throw new Error(`${JSON.stringify(quantity)} is not a size like 2Gi or 512Mi`)
  const u: Record<string, number> = { '': 1, Ki: 1024, Mi: 1024 ** 2, Gi: GiB, Ti: 1024 ** 4, K: 1e3, M: 1e6, G: 1e9, T: 1e12 }
  return Math.round(Number(m[1]) * u[m[2] ?? '']!)
}

export function checkResources(host: VmHostFacts, nodes: readonly NodeSize[]): PreflightCheck[] {
  const mem = nodes.reduce((s, n) => s + quantityBytes(n.memory), 0)
  const disk = nodes.reduce((s, n) => s + quantityBytes(n.disk), 0)
  const cpu = nodes.reduce((s, n) => s + n.cpus, 0)
  const preset = presetFor(host.totalMemory)
  const suggestion = `the "${preset.id}" preset fits this machine (${preset.title})`
  const out: PreflightCheck[] = []
  const needMem = mem + HOST_RESERVE
  out.push(
    needMem > host.freeMemory
      ? {
          id: 'vm-memory',
          title: 'Memory for VMs',
          status: 'fail',
          detail: `${nodes.length} VMs need ${gib(mem)} plus ${gib(HOST_RESERVE)} for the host, only ${gib(host.freeMemory)} is free: close programs, or choose fewer or smaller nodes (${suggestion})`,
        }
      : { id: 'vm-memory', title: 'Memory for VMs', status: 'pass', detail: `${gib(mem)} for ${nodes.length} VMs, ${gib(host.freeMemory)} free` },
  )
  out.push(
    cpu > host.cpuCount * 2
      ? {
          id: 'vm-cpu',
          title: 'CPUs for VMs',
          status: 'fail',
          detail: `${cpu} virtual CPUs on ${host.cpuCount} cores is more than twice overcommitted: give each node fewer CPUs (${suggestion})`,
        }
      : cpu > host.cpuCount
        ? {
            id: 'vm-cpu',
            title: 'CPUs for VMs',
            status: 'warn',
            detail: `${cpu} virtual CPUs on ${host.cpuCount} cores: nodes will share cores and boot slower`,
          }
        : { id: 'vm-cpu', title: 'CPUs for VMs', status: 'pass', detail: `${cpu} virtual CPUs on ${host.cpuCount} cores` },
  )
  out.push(
    host.freeDisk === undefined
      ? { id: 'vm-disk', title: 'Disk for VMs', status: 'warn', detail: 'could not measure free disk space: make sure about ' + gib(disk) + ' is free' }
      : disk > host.freeDisk
        ? {
            id: 'vm-disk',
            title: 'Disk for VMs',
            status: 'fail',
            detail: `VM disks can grow to ${gib(disk)}, only ${gib(host.freeDisk)} free: free space or choose smaller disks`,
          }
        : { id: 'vm-disk', title: 'Disk for VMs', status: 'pass', detail: `up to ${gib(disk)} of ${gib(host.freeDisk)} free` },
  )
  return out
}

export function checkHypervisor(provider: string, detectResult: DetectResult): PreflightCheck {
  return detectResult.available
    ? { id: 'hypervisor', title: `Hypervisor (${provider})`, status: 'pass', detail: detectResult.version ?? 'available' }
    : {
        id: 'hypervisor',
        title: `Hypervisor (${provider})`,
        status: 'fail',
        detail: detectResult.problem ?? `${provider} is not usable here: install it or choose another provider`,
      }
}

export interface PlannedRange {
  /** What KubeLab uses it for: "pods", "services", "VM network". */
  readonly use: string
  readonly cidr: string
}

/** The ranges a KubeLab cluster adds on this provider. */
export function plannedRanges(provider: string, hostOnlySubnet = '192.168.56'): PlannedRange[] {
  const base = [
    { use: 'pods', cidr: '10.244.0.0/16' },
    { use: 'services', cidr: '10.96.0.0/12' },
  ]
  if (provider === 'virtualbox') return [...base, { use: 'VirtualBox host-only network', cidr: `${hostOnlySubnet}.0/24` }]
  return base
}

const VPN_IFACE = /^(utun|tun|tap|wg|ppp|ipsec|gpd|tailscale|zt|cscotun|vpn)/i

/**
 * A planned range overlapping a host route or interface address breaks traffic either to the
 * cluster or to that network. The host-only interface of this very cluster is not a conflict.
 */
export function checkAddressConflicts(host: VmHostFacts, ranges: readonly PlannedRange[], ownIfaces: readonly string[] = []): PreflightCheck[] {
  const out: PreflightCheck[] = []
  for (const r of ranges) {
    const planned = parseCidr(r.cidr)
    const hits: string[] = []
    let vpn = false
    for (const route of host.routes) {
      if (route.destination === '0.0.0.0/0' || ownIfaces.includes(route.iface)) continue
      if (overlaps(planned, parseCidr(route.destination))) {
        hits.push(`route ${route.destination} via ${route.iface}`)
        vpn ||= VPN_IFACE.test(route.iface)
      }
    }
    for (const i of host.interfaces) {
      if (ownIfaces.includes(i.name)) continue
      if (overlaps(planned, parseCidr(i.cidr))) {
        hits.push(`${i.name} has ${i.cidr}`)
        vpn ||= VPN_IFACE.test(i.name)
      }
    }
    const unique = [...new Set(hits)]
    out.push(
      unique.length === 0
        ? { id: `range-${r.use}`, title: `Address range for ${r.use}`, status: 'pass', detail: `${r.cidr} is free on this host` }
        : {
            id: `range-${r.use}`,
            title: `Address range for ${r.use}`,
            status: 'fail',
            detail:
              `${r.cidr} overlaps ${unique.join(', ')}: ` +
              (vpn
                ? 'a VPN claims it; disconnect the VPN or enable its "allow local network" option, or choose another range'
                : 'choose another range for the cluster, or disconnect that network'),
          },
    )
  }
  return out
}

/** Multipass on macOS: a VPN route over the VM subnet (192.168.64.0/24 and up) causes timeouts. */
export function checkVmSubnetRoute(host: VmHostFacts, provider: string): PreflightCheck | undefined {
  if (provider !== 'multipass' || host.platform !== 'darwin') return undefined
  const vmNet = parseCidr('192.168.64.0/22')
  const bad = host.routes.find((r) => r.destination !== '0.0.0.0/0' && VPN_IFACE.test(r.iface) && overlaps(vmNet, parseCidr(r.destination)))
  return bad
    ? {
        id: 'vm-subnet-route',
        title: 'Route to VMs',
        status: 'fail',
        detail: `the VM network ${bad.destination} is routed through ${bad.iface} (a VPN): VMs will time out; enable the VPN's "allow local network" option or disconnect it`,
      }
    : { id: 'vm-subnet-route', title: 'Route to VMs', status: 'pass', detail: 'no VPN routes the Multipass VM network' }
}

/** macOS 15+ asks before an app may reach local addresses (multipass#3766, #3864). */
export function checkLocalNetworkPermission(host: VmHostFacts, provider: string, reachable?: boolean): PreflightCheck | undefined {
  if (host.platform !== 'darwin' || host.darwinMajor < 24 || (provider !== 'multipass' && provider !== 'virtualbox')) return undefined
  if (reachable === false) {
    return {
      id: 'local-network',
      title: 'Local Network permission',
      status: 'fail',
      detail: 'KubeLab may not reach VMs (No route to host): open System Settings → Privacy & Security → Local Network, turn KubeLab on, then Re-check',
    }
  }
  return {
    id: 'local-network',
    title: 'Local Network permission',
    status: reachable ? 'pass' : 'warn',
    detail: reachable
      ? 'KubeLab can reach the VM network'
      : 'macOS will ask whether KubeLab may find devices on the local network: answer Allow. If you declined, turn KubeLab on in System Settings → Privacy & Security → Local Network',
  }
}

export interface VmPreflightInput {
  readonly provider: string
  readonly nodes: readonly NodeSize[]
  readonly detect: DetectResult
  readonly host: VmHostFacts
  readonly hostOnlySubnet?: string
  /** Host interfaces that belong to this cluster's VM network (e.g. vboxnet0). */
  readonly ownIfaces?: readonly string[]
  /** Result of a probe connection to a VM address, when one exists (macOS permission). */
  readonly vmReachable?: boolean
}

export function runVmPreflight(input: VmPreflightInput): { ok: boolean; checks: PreflightCheck[] } {
  const checks: PreflightCheck[] = [
    checkHypervisor(input.provider, input.detect),
    ...checkResources(input.host, input.nodes),
    ...checkAddressConflicts(input.host, plannedRanges(input.provider, input.hostOnlySubnet), input.ownIfaces),
  ]
  const route = checkVmSubnetRoute(input.host, input.provider)
  if (route) checks.push(route)
  const ln = checkLocalNetworkPermission(input.host, input.provider, input.vmReachable)
  if (ln) checks.push(ln)
  return { ok: checks.every((c) => c.status !== 'fail'), checks }
}
