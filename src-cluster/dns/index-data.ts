// What cluster DNS knows, indexed for lookups: Services by namespace/name and by cluster IP,
// their endpoints (from EndpointSlices) and the namespaces that have any Service. Rebuilt from
// the informers' lists when something changed; lookups never scan.
import type { ServiceObj, SliceObj } from '../kit/objects'
import { type Endpoint, endpointsFor, slicesByService } from '../kit/endpoints'

export interface DnsEndpoint {
  readonly ip: string
  readonly hostname?: string
  /** Ports by "name/PROTOCOL". */
  readonly ports: ReadonlyMap<string, number>
}

export class DnsIndex {
  private readonly services = new Map<string, ServiceObj>()
  private readonly byIP = new Map<string, ServiceObj>()
  private readonly namespaces = new Set<string>()
  private readonly endpoints = new Map<string, DnsEndpoint[]>()
  /** Endpoint IP → "host.svc.ns" owner names, for reverse lookups of headless endpoints. */
  private readonly endpointNames = new Map<string, string>()

  constructor(services: readonly ServiceObj[], slices: readonly SliceObj[]) {
    const grouped = slicesByService(slices)
    for (const s of services) {
      const ns = s.metadata?.namespace ?? ''
      const name = s.metadata?.name ?? ''
      const key = `${ns}/${name}`
      this.services.set(key, s)
      this.namespaces.add(ns)
      const ip = s.spec?.clusterIP
      if (ip && ip !== 'None') this.byIP.set(ip, s)
      const eps = new Map<string, { ip: string; hostname?: string; ports: Map<string, number> }>()
      const mine = grouped.get(key) ?? []
      for (const p of s.spec?.ports ?? []) {
        const proto = p.protocol ?? 'TCP'
        for (const e of endpointsFor(mine, p.name ?? '', proto as 'TCP' | 'UDP' | 'SCTP')) this.addEndpoint(eps, e, `${p.name ?? ''}/${proto}`)
      }
      // A headless service without ports still has addresses: take them from the slices.
      if (!(s.spec?.ports ?? []).length)
        for (const e of endpointsFor(
          mine.map((x) => ({ ...x, ports: [{ name: '', protocol: 'TCP', port: 0 }] })),
          '',
          'TCP',
        ))
          this.addEndpoint(eps, e, '')
      const list = [...eps.values()]
      this.endpoints.set(key, list)
      if (!ip || ip === 'None') for (const e of list) this.endpointNames.set(e.ip, `${e.hostname ?? dashed(e.ip)}.${name}.${ns}`)
    }
  }

  private addEndpoint(into: Map<string, { ip: string; hostname?: string; ports: Map<string, number> }>, e: Endpoint, portKey: string): void {
    let cur = into.get(e.ip)
    if (!cur) into.set(e.ip, (cur = { ip: e.ip, hostname: e.hostname, ports: new Map() }))
    if (portKey) cur.ports.set(portKey, e.port)
  }

  service(ns: string, name: string): ServiceObj | undefined {
    return this.services.get(`${ns}/${name}`)
  }

  serviceByIP(ip: string): ServiceObj | undefined {
    return this.byIP.get(ip)
  }

  /** "host.svc.ns" of a headless service's endpoint with this IP. */
  endpointNameByIP(ip: string): string | undefined {
    return this.endpointNames.get(ip)
  }

  hasNamespace(ns: string): boolean {
    return this.namespaces.has(ns)
  }

  endpointsOf(ns: string, name: string): readonly DnsEndpoint[] {
    return this.endpoints.get(`${ns}/${name}`) ?? []
  }
}

/** 10.244.1.5 → 10-244-1-5, the label Kubernetes DNS uses for an address. */
export function dashed(ip: string): string {
  return ip.replace(/\./g, '-')
}
