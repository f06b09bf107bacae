// From Services and EndpointSlices to what the proxy programs: one entry per service port with
// its frontends (cluster IP, node port, load-balancer and external IPs) and the endpoints it
// balances over. Endpoint choice follows kube-proxy: ready endpoints; when there are none,
// endpoints that still serve while terminating, so connections drain instead of failing.
import { isIPv4 } from '../kit/ipv4'
import { endpointsFor, slicesByService, type Endpoint, type Protocol } from '../kit/endpoints'
import type { ServiceObj, SliceObj } from '../kit/objects'

export interface ServicePortInfo {
  /** "namespace/name:portName" (portName may be empty), as kube-proxy names a service port. */
  readonly name: string
  readonly namespace: string
  readonly service: string
  readonly portName: string
  readonly protocol: Protocol
  readonly port: number
  /** Undefined for headless services. */
  readonly clusterIP?: string
  readonly nodePort?: number
  readonly loadBalancerIPs: readonly string[]
  readonly externalIPs: readonly string[]
  /** ClientIP affinity timeout in seconds, or undefined without affinity. */
  readonly affinitySeconds?: number
  readonly endpoints: readonly Endpoint[]
}

const DEFAULT_AFFINITY_SECONDS = 10800

/** Every proxied service port, in a stable order. ExternalName services have none. */
export function servicePorts(services: readonly ServiceObj[], slices: readonly SliceObj[]): ServicePortInfo[] {
  const bySvc = slicesByService(slices)
  const out: ServicePortInfo[] = []
  for (const svc of services) {
    const spec = svc.spec
    if (!spec || spec.type === 'ExternalName') continue
    const namespace = svc.metadata?.namespace ?? ''
    const service = svc.metadata?.name ?? ''
    const clusterIP = isIPv4(spec.clusterIP) ? spec.clusterIP : undefined
    const lbIPs = spec.type === 'LoadBalancer' ? (svc.status?.loadBalancer?.ingress ?? []).map((i) => i.ip).filter(isIPv4) : []
    const externalIPs = (spec.externalIPs ?? []).filter(isIPv4)
    const nodePorts = spec.type === 'NodePort' || spec.type === 'LoadBalancer'
    const affinity = spec.sessionAffinity === 'ClientIP' ? (spec.sessionAffinityConfig?.clientIP?.timeoutSeconds ?? DEFAULT_AFFINITY_SECONDS) : undefined
    const slicesHere = bySvc.get(`${namespace}/${service}`) ?? []
    for (const p of spec.ports ?? []) {
      const protocol = (p.protocol ?? 'TCP') as Protocol
      const portName = p.name ?? ''
      out.push({
        name: `${namespace}/${service}:${portName}`,
        namespace,
        service,
        portName,
        protocol,
        port: p.port,
        clusterIP,
        nodePort: nodePorts && p.nodePort ? p.nodePort : undefined,
        loadBalancerIPs: lbIPs,
        externalIPs,
        affinitySeconds: affinity,
        endpoints: endpointsFor(slicesHere, portName, protocol),
      })
    }
  }
  return out.sort((a, b) => (a.name === b.name ? a.protocol.localeCompare(b.protocol) : a.name.localeCompare(b.name)))
}
