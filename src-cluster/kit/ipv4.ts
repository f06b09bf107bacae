// IPv4 text <-> number and CIDR arithmetic, shared by the node network, the proxy, NetworkPolicy, DNS and the allocators.

/** The address as an unsigned 32-bit number, or undefined when `s` is not dotted-quad IPv4. */
export function ipToNumber(s: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s.trim())
  if (!m) return undefined
  const o = m.slice(1, 5).map(Number)
  if (o.some((x) => x > 255)) return undefined
  return ((o[0]! << 24) | (o[1]! << 16) | (o[2]! << 8) | o[3]!) >>> 0
}

export function numberToIp(n: number): string {
  return [24, 16, 8, 0].map((s) => (n >>> s) & 255).join('.')
}

export interface Cidr {
  readonly base: number
  readonly prefix: number
  /** Normalised text, e.g. 10.244.1.0/24. */
  readonly text: string
}

export function parseCidr(s: string): Cidr {
  const [ip, p] = s.trim().split('/')
  const n = ipToNumber(ip ?? '')
  const prefix = Number(p)
  if (n === undefined || p === undefined || !/^\d{1,2}$/.test(p) || prefix > 32) {
    throw new Error(`invalid IPv4 CIDR ${JSON.stringify(s)}: expected a.b.c.d/n such as 10.244.1.0/24`)
  }
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0
  const base = (n & mask) >>> 0
  return { base, prefix, text: `${numberToIp(base)}/${prefix}` }
}

export function cidrContains(c: Cidr, ip: string): boolean {
  const n = ipToNumber(ip)
  if (n === undefined) return false
  const mask = c.prefix === 0 ? 0 : (0xffffffff << (32 - c.prefix)) >>> 0
  return (n & mask) >>> 0 === c.base
}

/** Number of addresses in the CIDR. */
export function cidrSize(c: Cidr): number {
  return 2 ** (32 - c.prefix)
}

/** Looks like dotted-quad IPv4 (what slices, Services and DNS carry; octets not range-checked). */
export function isIPv4(s: string | undefined): s is string {
  return !!s && /^\d{1,3}(\.\d{1,3}){3}$/.test(s)
}
