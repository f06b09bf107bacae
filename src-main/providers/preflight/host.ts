// Host facts the VM preflight needs, read from the machine: memory, CPUs, free disk, IPv4
// interfaces and routes. Route tables come from `ip -4 route` (Linux) or `netstat -rn -f inet`
// (macOS) and are parsed here so the checks themselves stay pure.
import { execFile } from 'node:child_process'
import { statfs } from 'node:fs/promises'
import { cpus, freemem, networkInterfaces, release, totalmem } from 'node:os'
import { maskBits } from './cidr'

export interface HostRoute {
  /** CIDR; "0.0.0.0/0" for the default route. */
  readonly destination: string
  readonly iface: string
}

export interface HostInterface {
  readonly name: string
  readonly cidr: string
}

export interface VmHostFacts {
  readonly platform: NodeJS.Platform
  /** Darwin kernel major (24 = macOS 15); 0 elsewhere. */
  readonly darwinMajor: number
  readonly totalMemory: number
  readonly freeMemory: number
  readonly cpuCount: number
  /** Free bytes where the VM disks go; undefined when unknown. */
  readonly freeDisk?: number
  readonly interfaces: readonly HostInterface[]
  readonly routes: readonly HostRoute[]
}

/** `ip -4 route` lines: "10.8.0.0/24 dev tun0 proto kernel scope link src 10.8.0.2", "default via … dev wlan0". */
export function parseIpRoute(text: string): HostRoute[] {
  const out: HostRoute[] = []
  for (const line of text.split('\n')) {
    const m = /^(?:unicast\s+)?(default|\d+\.\d+\.\d+\.\d+(?:\/\d+)?)\s.*?\bdev\s+(\S+)/.exec(line.trim())
    if (!m) continue
    const dest = m[1] === 'default' ? '0.0.0.0/0' : m[1]!.includes('/') ? m[1]! : `${m[1]}/32`
    out.push({ destination: dest, iface: m[2]! })
  }
  return out
}

/**
 * macOS `netstat -rn -f inet`: "Destination Gateway Flags Netif Expire" rows, where
 * destinations are abbreviated ("10/8", "192.168.64", "127").
 */
export function parseNetstatRoutes(text: string): HostRoute[] {
  const out: HostRoute[] = []
  for (const line of text.split('\n')) {
    const cols = line.trim().split(/\s+/)
    if (cols.length < 4 || !/^(default|\d)/.test(cols[0]!)) continue
    const iface = cols[3]!
    if (cols[0] === 'default') {
      out.push({ destination: '0.0.0.0/0', iface })
      continue
    }
    const [addr = '', bitsText] = cols[0]!.split('/')
    if (addr.includes('%') || !/^\d+(\.\d+){0,3}$/.test(addr)) continue
    const octets = addr.split('.')
    const bits = bitsText !== undefined ? Number(bitsText) : octets.length * 8
    while (octets.length < 4) octets.push('0')
    out.push({ destination: `${octets.join('.')}/${bits}`, iface })
  }
  return out
}

function run(cmd: string, args: string[]): Promise<string> {
  return new Promise((resolve) => execFile(cmd, args, { timeout: 5000 }, (err, stdout) => resolve(err ? '' : stdout)))
}

/** Reads the real host. `diskPath`: where VM disks will live (~/.kubelab). */
export async function readVmHostFacts(diskPath: string): Promise<VmHostFacts> {
  const platform = process.platform
  const interfaces: HostInterface[] = []
  for (const [name, addrs] of Object.entries(networkInterfaces())) {
    for (const a of addrs ?? []) if (a.family === 'IPv4' && !a.internal) interfaces.push({ name, cidr: `${a.address}/${maskBits(a.netmask)}` })
  }
  const routes =
    platform === 'darwin'
      ? parseNetstatRoutes(await run('netstat', ['-rn', '-f', 'inet']))
      : platform === 'linux'
        ? parseIpRoute(await run('ip', ['-4', 'route']))
        : []
  let freeDisk: number | undefined
  try {
    const s = await statfs(diskPath)
    freeDisk = s.bavail * s.bsize
  } catch {
    freeDisk = undefined
  }
  return {
    platform,
    darwinMajor: platform === 'darwin' ? Number.parseInt(release(), 10) : 0,
    totalMemory: totalmem(),
    freeMemory: freemem(),
    cpuCount: cpus().length,
    ...(freeDisk !== undefined ? { freeDisk } : {}),
    interfaces,
    routes,
  }
}
