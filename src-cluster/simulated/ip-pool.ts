// Pod IPs from a node's podCIDR, the way host-local IPAM hands them out: skip the network
// address and the gateway (.1), never reuse an IP a live pod holds.
import { ipToNumber, numberToIp } from '../kit/ipv4'

function ipToInt(ip: string): number {
  const n = ipToNumber(ip)
  if (n === undefined) throw new Error(`${JSON.stringify(ip)} is not an IPv4 address`)
  return n
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
        return numberToIp(this.base + off)
      }
    }
    throw new Error(`podCIDR ${this.cidr} has no free IP left: ${this.used.size} pods hold them all`)
  }
}
