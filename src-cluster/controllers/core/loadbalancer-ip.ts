// LoadBalancer addresses for a cluster without a cloud: every Service of type LoadBalancer (and
// no loadBalancerClass, which would name another implementation) gets an IP from a per-cluster
// pool on the node network, written to status.loadBalancer.ingress. The proxy on every node then
// DNATs that address. Addresses held by existing Services are learnt first, so a restart keeps them.
import { startQueue, type Controller, type ControllerContext, type ControllerQueue } from '../framework'
import { isNotFound } from '../../client'
import { cidrContains, cidrSize, ipToNumber, numberToIp, parseCidr, type Cidr } from '../../kit/ipv4'
import type { ServiceObj } from '../../kit/objects'
import { RES } from '../../kit/resources'
import { keyOf } from '../../kit/keys'

/** Hands out addresses of a pool lowest-first; the network and broadcast addresses are skipped. */
export class IpPool {
  private readonly cidr: Cidr
  private readonly used = new Map<string, string>() // ip -> owner key

  constructor(pool: string) {
    this.cidr = parseCidr(pool)
  }

  contains(ip: string): boolean {
    return cidrContains(this.cidr, ip)
  }

  /** Claim a specific address for `owner`; false if outside the pool or held by someone else. */
  claim(ip: string, owner: string): boolean {
    if (!this.contains(ip)) return false
    const cur = this.used.get(ip)
    if (cur && cur !== owner) return false
    this.used.set(ip, owner)
    return true
  }

  allocate(owner: string): string | undefined {
    for (const [ip, o] of this.used) if (o === owner) return ip
    const size = cidrSize(this.cidr)
    const [first, last] = size <= 2 ? [0, size - 1] : [1, size - 2]
    for (let i = first; i <= last; i++) {
      const ip = numberToIp((this.cidr.base + i) >>> 0)
      if (!this.used.has(ip)) {
        this.used.set(ip, owner)
        return ip
      }
    }
    return undefined
  }

  releaseOwner(owner: string): void {
    for (const [ip, o] of this.used) if (o === owner) this.used.delete(ip)
  }

  holder(ip: string): string | undefined {
    return this.used.get(ip)
  }
}

function wantsAddress(s: ServiceObj): boolean {
  return s.spec?.type === 'LoadBalancer' && !s.spec.loadBalancerClass && !s.metadata?.deletionTimestamp
}

export class LoadBalancerIpController implements Controller {
  readonly name = 'service-lb-ip-controller'
  private readonly pool: IpPool
  private q?: ControllerQueue

  /** `pool`: a CIDR on the node network that nothing else hands out, e.g. 192.168.56.240/28. */
  constructor(pool: string) {
    this.pool = new IpPool(pool)
  }

  async start(ctx: ControllerContext): Promise<void> {
    const services = ctx.informers.for<ServiceObj>(RES.services)
    await services.start()
    // Learn held addresses before allocating anything, so nothing is handed out twice.
    for (const s of services.list()) {
      if (!wantsAddress(s)) continue
      for (const ing of s.status?.loadBalancer?.ingress ?? []) if (ing.ip) this.pool.claim(ing.ip, keyOf(s))
    }
    const q = (this.q = startQueue(ctx, this.name, 1, async (key) => {
      const [ns, name] = key.split('/') as [string, string]
      await this.reconcile(ctx, key, services.getByName(ns, name))
    }))
    services.addHandler({
      add: (s) => q.queue.add(keyOf(s)),
      update: (_o, s) => q.queue.add(keyOf(s)),
      delete: (s) => {
        this.pool.releaseOwner(keyOf(s))
      },
    })
  }

  stop(): void {
    this.q?.stop()
  }

  private async reconcile(ctx: ControllerContext, key: string, svc: ServiceObj | undefined): Promise<void> {
    if (!svc || !wantsAddress(svc)) {
      this.pool.releaseOwner(key)
      // A Service that stopped being a LoadBalancer loses its address in status too.
      if (svc && svc.spec?.type !== 'LoadBalancer' && (svc.status?.loadBalancer?.ingress ?? []).some((i) => i.ip && this.pool.contains(i.ip))) {
        await this.writeIngress(ctx, svc, undefined)
      }
      return
    }
    const current = (svc.status?.loadBalancer?.ingress ?? []).map((i) => i.ip).filter((ip): ip is string => !!ip)
    const requested = svc.spec?.loadBalancerIP
    let ip: string | undefined
    if (requested && ipToNumber(requested) !== undefined) {
      if (!this.pool.claim(requested, key)) {
        ctx
          .recorder(this.name)
          .event(
            svc,
            'Warning',
            'AllocationFailed',
            `loadBalancerIP ${requested} is outside the pool or already used by ${this.pool.holder(requested) ?? 'another service'}`,
          )
        return
      }
      ip = requested
    } else {
      const held = current.find((c) => this.pool.holder(c) === key)
      ip = held ?? this.pool.allocate(key)
    }
    if (!ip) {
      ctx
        .recorder(this.name)
        .event(svc, 'Warning', 'AllocationFailed', 'no free address left in the load-balancer pool; widen --lb-pool or delete a LoadBalancer service')
      return
    }
    if (current.length === 1 && current[0] === ip) return
    await this.writeIngress(ctx, svc, ip)
    ctx.recorder(this.name).event(svc, 'Normal', 'IPAllocated', `Assigned IP ["${ip}"]`)
  }

  private async writeIngress(ctx: ControllerContext, svc: ServiceObj, ip: string | undefined): Promise<void> {
    const ingress = ip ? [{ ip, ipMode: 'VIP' }] : []
    try {
      await ctx.client.patch(RES.services, svc.metadata?.namespace, svc.metadata?.name ?? '', { status: { loadBalancer: { ingress } } }, 'merge', {
        subresource: 'status',
      })
    } catch (e) {
      if (!isNotFound(e)) throw e
    }
  }
}
