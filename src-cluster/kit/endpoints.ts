// Which endpoints serve a Service port, from its EndpointSlices: what the proxy programs, DNS
// answers and the ingress controller routes to. Endpoint choice follows kube-proxy: ready
// endpoints; when there are none, endpoints that still serve while terminating, so connections
// drain instead of failing.
import { isIPv4 } from './ipv4'
import type { SliceObj } from './objects'

/** The label tying an EndpointSlice to its Service. */
export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name'

export type Protocol = 'TCP' | 'UDP' | 'SCTP'

export interface Endpoint {
  readonly ip: string
  readonly port: number
  readonly nodeName?: string
  readonly hostname?: string
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
