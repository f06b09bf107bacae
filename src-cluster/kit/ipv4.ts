// IPv4 text <-> number and CIDR arithmetic, shared by the node network, the proxy, NetworkPolicy, DNS and the allocators.

/** The address as an unsigned 32-bit number, or undefined when `text` is not dotted-quad IPv4. */
export function ipToNumber(text: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text.trim())
  if (!m) return undefined
  const o = m.slice(1, 5).map(Number)
  if (o.some((x) => x > 255)) return undefined
  return ((o[0]! << 24) | (o[1]! << 16) | (o[2]! << 8) | o[3]!) >>> 0
}

export function numberToIp(value: number): string {
  return [24, 16, 8, 0].map((s) => (value >>> s) & 255).join('.')
}

export interface Cidr {
  readonly base: number
  readonly prefix: number
  /** Normalised text, e.g. 10.244.1.0/24. */
  readonly text: string
}

export function parseCidr(cidr: string): Cidr {
  const [ip, p] = cidr.trim().split('/')
  const n = ipToNumber(ip ?? '')
  const prefix = Number(p)
  if (n === undefined || p === undefined || !/^\d{1,2}$/.test(p) || prefix > 32) {
    throw new Error(`invalid IPv4 CIDR ${JSON.stringify(cidr)}: expected a.b.c.d/n such as 10.244.1.0/24`)
  }
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0
  const base = (n & mask) >>> 0
  return { base, prefix, text: `${numberToIp(base)}/${prefix}` }
}

export function cidrContains(cidr: Cidr, ip: string): boolean {
  const n = ipToNumber(ip)
  if (n === undefined) return false
  const mask = cidr.prefix === 0 ? 0 : (0xffffffff << (32 - cidr.prefix)) >>> 0
  return (n & mask) >>> 0 === cidr.base
}

/** Number of addresses in the CIDR. */
export function cidrSize(cidr: Cidr): number {
  return 2 ** (32 - cidr.prefix)
}

/** Looks like dotted-quad IPv4 (what slices, Services and DNS carry; octets not range-checked). */
export function isIPv4(text: string | undefined): text is string {
  return !!text && /^\d{1,3}(\.\d{1,3}){3}$/.test(text)
}
