// IPv4 CIDR arithmetic for node IPAM: split a cluster CIDR into equal per-node subnets.
import { numberToIp } from '../../kit/ipv4'

export interface Cidr4 {
  /** Network address as an unsigned 32-bit number. */
  readonly base: number
  readonly prefix: number
}

export function parseCidr4(text: string): Cidr4 {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(text.trim())
  if (!m) throw new Error(`invalid IPv4 CIDR ${JSON.stringify(text)}: expected a.b.c.d/n, e.g. 10.244.0.0/16`)
  const octets = m.slice(1, 5).map(Number)
  const prefix = Number(m[5])
  if (octets.some((o) => o > 255) || prefix > 32) throw new Error(`invalid IPv4 CIDR ${JSON.stringify(text)}: octets must be 0-255 and the prefix 0-32`)
  const ip = ((octets[0]! << 24) | (octets[1]! << 16) | (octets[2]! << 8) | octets[3]!) >>> 0
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0
  return { base: (ip & mask) >>> 0, prefix }
}

export function formatCidr4(cidr4: Cidr4): string {
  return `${numberToIp(cidr4.base)}/${cidr4.prefix}`
}

/** How many /maskSize subnets the cluster CIDR holds. */
export function subnetCount(cluster: Cidr4, maskSize: number): number {
  if (maskSize < cluster.prefix || maskSize > 32)
    throw new Error(`node CIDR mask size /${maskSize} must be between the cluster prefix /${cluster.prefix} and /32`)
  return 2 ** (maskSize - cluster.prefix)
}

/** The index-th /maskSize subnet of the cluster CIDR (10.244.0.0/16, 24, 3 → 10.244.3.0/24). */
export function subnetAt(cluster: Cidr4, maskSize: number, index: number): string {
  const n = subnetCount(cluster, maskSize)
  if (index < 0 || index >= n) throw new Error(`subnet index ${index} is outside 0..${n - 1}`)
  return formatCidr4({ base: (cluster.base + index * 2 ** (32 - maskSize)) >>> 0, prefix: maskSize })
}

/** The index of `cidr` within the cluster CIDR, or undefined when it is not one of its subnets. */
export function subnetIndex(cluster: Cidr4, maskSize: number, cidr: string): number | undefined {
  let c: Cidr4
  try {
    c = parseCidr4(cidr)
  } catch {
    return undefined
  }
  if (c.prefix !== maskSize) return undefined
  const offset = c.base - cluster.base
  const size = 2 ** (32 - maskSize)
  if (offset < 0 || offset % size !== 0) return undefined
  const i = offset / size
  return i < subnetCount(cluster, maskSize) ? i : undefined
}

/** Allocates subnet indexes lowest-first; used indexes are learnt from existing nodes. */
export class CidrAllocator {
  private readonly used = new Set<number>()
  private readonly cluster: Cidr4
  constructor(
    clusterCIDR: string,
    private readonly maskSize: number,
  ) {
    this.cluster = parseCidr4(clusterCIDR)
    subnetCount(this.cluster, maskSize)
  }
  /** Mark a CIDR as taken; false if it is not a subnet of the cluster CIDR. */
  occupy(cidr: string): boolean {
    const i = subnetIndex(this.cluster, this.maskSize, cidr)
    if (i === undefined) return false
    this.used.add(i)
    return true
  }
  release(cidr: string): void {
    const i = subnetIndex(this.cluster, this.maskSize, cidr)
    if (i !== undefined) this.used.delete(i)
  }
  /** The lowest free subnet, now taken; undefined when the range is exhausted. */
  allocate(): string | undefined {
    const n = subnetCount(this.cluster, this.maskSize)
    for (let i = 0; i < n; i++) {
      if (!this.used.has(i)) {
        this.used.add(i)
        return subnetAt(this.cluster, this.maskSize, i)
      }
    }
    return undefined
  }
}
