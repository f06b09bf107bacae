// Pod IPs from a node's podCIDR, the way host-local IPAM hands them out: skip the network
// address and the gateway (.1), never reuse an IP a live pod holds.

function ipToInt(ip: string): number {
  const parts = ip.split('.').map(Number)
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) throw new Error(`${JSON.stringify(ip)} is not an IPv4 address`)
  return ((parts[0]! << 24) | (parts[1]! << 16) | (parts[2]! << 8) | parts[3]!) >>> 0
}

function intToIp(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.')
}

export class IpPool {
  private readonly base: number
  private readonly size: number
  private readonly used = new Set<number>()
  private next = 2

  constructor(readonly cidr: string) {
    const m = /^(.+)\/(\d+)$/.exec(cidr)
    const bits = m ? Number(m[2]) : NaN
    if (!m || !(bits >= 8 && bits <= 30)) throw new Error(`podCIDR ${JSON.stringify(cidr)} is not an IPv4 CIDR with a prefix between /8 and /30`)
    this.size = 2 ** (32 - bits)
    this.base = (ipToInt(m[1]!) & ~(this.size - 1)) >>> 0
  }

  contains(ip: string): boolean {
    try {
      const n = ipToInt(ip)
      return n >= this.base && n < this.base + this.size
    } catch {
      return false
    }
  }

  /** Mark an IP as held (a pod found Running after a restart). */
  reserve(ip: string): void {
    if (this.contains(ip)) this.used.add(ipToInt(ip) - this.base)
  }

  release(ip: string): void {
    if (this.contains(ip)) this.used.delete(ipToInt(ip) - this.base)
  }

  /** The next free IP, round-robin so a released IP is not handed out again at once. */
  allocate(): string {
    const usable = this.size - 3 // network, gateway, broadcast
    for (let i = 0; i < usable; i++) {
      const off = this.next
      this.next = this.next + 1 >= this.size - 1 ? 2 : this.next + 1
      if (!this.used.has(off)) {
        this.used.add(off)
        return intToIp(this.base + off)
      }
    }
    throw new Error(`podCIDR ${this.cidr} has no free IP left: ${this.used.size} pods hold them all`)
  }
}
