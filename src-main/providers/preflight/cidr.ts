// IPv4 CIDR arithmetic for address-conflict checks.

export interface Cidr {
  readonly base: number
  readonly bits: number
  readonly text: string
}

export function ipToInt(ip: string): number {
  const p = ip.split('.')
  if (p.length !== 4 || p.some((o) => !/^\d{1,3}$/.test(o) || Number(o) > 255)) throw new Error(`${JSON.stringify(ip)} is not an IPv4 address`)
  return p.reduce((n, o) => n * 256 + Number(o), 0)
}

export function parseCidr(text: string): Cidr {
  const [ip = '', bitsText = '32'] = text.split('/')
  const bits = Number(bitsText)
  if (!Number.isInteger(bits) || bits < 0 || bits > 32) throw new Error(`${JSON.stringify(text)} is not a CIDR range`)
  const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0
  return { base: (ipToInt(ip) & mask) >>> 0, bits, text }
}

/** Two ranges overlap when one contains the other's base. */
export function overlaps(a: Cidr, b: Cidr): boolean {
  const bits = Math.min(a.bits, b.bits)
  const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0
  return (a.base & mask) >>> 0 === (b.base & mask) >>> 0
}

/** Netmask "255.255.255.0" → prefix length 24. */
export function maskBits(mask: string): number {
  const n = ipToInt(mask)
  let bits = 0
  for (let i = 31; i >= 0 && (n >>> i) & 1; i--) bits++
  return bits
}
