// From Services and EndpointSlices to what the proxy programs: one entry per service port with
// its frontends (cluster IP, node port, load-balancer and external IPs) and the endpoints it
// balances over. Endpoint choice follows kube-proxy: ready endpoints; when there are none,
// endpoints that still serve while terminating, so connections drain instead of failing.
import { SERVICE_NAME_LABEL } from './types'
import type { ServiceObj, SliceObj } from '../kit/objects'

export type Protocol = 'TCP' | 'UDP' | 'SCTP'

export interface Endpoint {
  readonly ip: string
  readonly port: number
  readonly nodeName?: string
  readonly hostname?: string
}

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

function isIPv4(s: string | undefined): s is string {
  return !!s && /^\d{1,3}(\.\d{1,3}){3}$/.test(s)
}

/** Slices grouped by "namespace/serviceName". */
export function slicesByService(slices: readonly SliceObj[]): Map<string, SliceObj[]> {
  const out = new Map<string, SliceObj[]>()
  for (const s of slices) {
    const svc = s.metadata?.labels?.[SERVICE_NAME_LABEL]
    if (!svc || (s.addressType && s.addressType !== 'IPv4')) continue
    const key = `${s.metadata?.namespace ?? ''}/${svc}`
    const list = out.get(key)
    if (list) list.push(s)
    else out.set(key, [s])
  }
  return out
}

/** Endpoints of one service port across its slices (deduplicated; ready, else serving+terminating). */
export function endpointsFor(slices: readonly SliceObj[], portName: string, protocol: Protocol): Endpoint[] {
  const ready = new Map<string, Endpoint>()
  const draining = new Map<string, Endpoint>()
  for (const s of slices) {
    const p = (s.ports ?? []).find((x) => (x.name ?? '') === portName && (x.protocol ?? 'TCP') === protocol)
    if (!p || typeof p.port !== 'number') continue
    for (const ep of s.endpoints ?? []) {
      const ip = ep.addresses?.[0]
      if (!isIPv4(ip)) continue
      const c = ep.conditions ?? {}
      const isReady = c.ready !== false
      const serving = c.serving ?? isReady
      const e: Endpoint = { ip, port: p.port, nodeName: ep.nodeName, hostname: ep.hostname }
      const key = `${ip}:${p.port}`
      if (isReady) ready.set(key, e)
      else if (serving && c.terminating === true) draining.set(key, e)
    }
  }
  const chosen = ready.size ? ready : draining
  return [...chosen.values()].sort((a, b) => (a.ip === b.ip ? a.port - b.port : a.ip.localeCompare(b.ip, 'en', { numeric: true })))
}

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
