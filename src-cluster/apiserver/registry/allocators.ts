// Service ClusterIP and NodePort allocation. The allocated sets are rebuilt from stored
// Services at start and kept in memory: one API server writes Services, so no two can race.
// (HA masters will move this state into the store, as upstream's IPAddress objects do.)
import { errors } from '../status'
import { ipToNumber, numberToIp } from '../../kit/ipv4'

export function ipToInt(ip: string): number {
  const n = ipToNumber(ip)
  if (n === undefined) throw new Error(`not an IPv4 address: ${ip}`)
  return n
}
export function parseCidr(cidr: string): { base: number; size: number } {
  const [ip, bits] = cidr.split('/')
  const b = Number(bits)
  if (!ip || !Number.isInteger(b) || b < 8 || b > 30) throw new Error(`not an IPv4 CIDR between /8 and /30: ${cidr}`)
  const mask = b === 0 ? 0 : (~0 << (32 - b)) >>> 0
  return { base: (ipToInt(ip) & mask) >>> 0, size: 2 ** (32 - b) }
}

export class ClusterIPAllocator {
  private readonly used = new Set<number>()
  private readonly base: number
  private readonly size: number
  private next = 0
  constructor(readonly cidr: string) {
    const c = parseCidr(cidr)
    this.base = c.base
    this.size = c.size
  }
  contains(ip: string): boolean {
    try {
      const n = ipToInt(ip)
      return n > this.base && n < this.base + this.size - 1
    } catch {
      return false
    }
  }
  /** The first usable address (10.96.0.1): the `kubernetes` Service. */
  first(): string {
    return numberToIp(this.base + 1)
  }
  /** The tenth (10.96.0.10): cluster DNS, by convention. */
  dns(): string {
    return numberToIp(this.base + 10)
  }
  reserve(ip: string): boolean {
    if (!this.contains(ip)) return false
    const n = ipToInt(ip)
    if (this.used.has(n)) return false
    this.used.add(n)
    return true
  }
  release(ip: string): void {
    if (this.contains(ip)) this.used.delete(ipToInt(ip))
  }
  /** Allocate a free address, skipping the low 16 (kept for well-known Services like DNS). */
  allocate(): string {
    const usable = this.size - 2
    for (let i = 0; i < usable; i++) {
      const off = 17 + ((this.next + i) % Math.max(1, usable - 16))
      const n = this.base + off
      if (!this.used.has(n)) {
        this.used.add(n)
        this.next = off - 16
        return numberToIp(n)
      }
    }
    throw errors.internal(`failed to allocate a service IP: the range ${this.cidr} is full; delete unused Services`)
  }
}

export class PortAllocator {
  private readonly used = new Set<number>()
  private next: number
  constructor(
    readonly min: number,
    readonly max: number,
  ) {
    this.next = min
  }
  contains(port: number): boolean {
    return Number.isInteger(port) && port >= this.min && port <= this.max
  }
  reserve(port: number): boolean {
    if (!this.contains(port) || this.used.has(port)) return false
    this.used.add(port)
    return true
  }
  release(port: number): void {
    this.used.delete(port)
  }
  allocate(): number {
    const span = this.max - this.min + 1
    for (let i = 0; i < span; i++) {
      const p = this.min + ((this.next - this.min + i) % span)
      if (!this.used.has(p)) {
        this.used.add(p)
        this.next = p + 1
        return p
      }
    }
    throw errors.internal(`failed to allocate a node port: the range ${this.min}-${this.max} is full; delete unused NodePort Services`)
  }
}
