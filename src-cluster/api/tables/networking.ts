// Printers for networking.k8s.io and discovery.k8s.io kinds.

import type { EndpointSlice } from 'kubernetes-types/discovery/v1'
import type { Ingress, IngressClass, NetworkPolicy } from 'kubernetes-types/networking/v1'
import type { KubeObject } from '../object'
import { AGE_COLUMN, NAME_COLUMN, ageOf, col, formatLabelSelector, listWithMore, nameOf } from './format'
import type { Printer } from './types'

const as = <T>(obj: KubeObject): T => obj as unknown as T

/** Up to three hosts; once three are listed any further rule counts towards "+ N more...". */
function formatHosts(ing: Ingress): string {
  const rules = ing.spec?.rules ?? []
  const max = 3
  const hosts: string[] = []
  let more = false
  for (const r of rules) {
    if (hosts.length === max) more = true
    if (!more && r.host) hosts.push(r.host)
  }
  if (hosts.length === 0) return '*'
  return more ? `${hosts.join(',')} + ${rules.length - max} more...` : hosts.join(',')
}

function ingressAddress(ing: Ingress): string {
  const set = new Set<string>()
  for (const i of ing.status?.loadBalancer?.ingress ?? []) {
    if (i.ip) set.add(i.ip)
    else if (i.hostname) set.add(i.hostname)
  }
  return [...set].sort().join(',')
}

export const ingressPrinter: Printer = {
  columns: [
    NAME_COLUMN,
    col('Class', 'string', 'IngressClass that handles this ingress.'),
    col('Hosts', 'string', 'Host names the rules match.'),
    col('Address', 'string', 'Addresses of the load balancer serving the ingress.'),
    col('Ports', 'string', 'Ports served: 80, plus 443 when TLS is configured.'),
    AGE_COLUMN,
  ],
  row(obj, now) {
    const ing = as<Ingress>(obj)
    const ports = (ing.spec?.tls ?? []).length > 0 ? '80, 443' : '80'
    return { cells: [nameOf(obj), ing.spec?.ingressClassName ?? '<none>', formatHosts(ing), ingressAddress(ing), ports, ageOf(obj, now)] }
  },
}

export const ingressClassPrinter: Printer = {
  columns: [
    NAME_COLUMN,
    col('Controller', 'string', 'Controller that implements this class.'),
    col('Parameters', 'string', 'Resource holding extra configuration, as Kind[.group]/name.'),
    AGE_COLUMN,
  ],
  row(obj, now) {
    const ic = as<IngressClass>(obj)
    const p = ic.spec?.parameters
    let params = '<none>'
    if (p) params = `${p.kind}${p.apiGroup !== undefined ? `.${p.apiGroup}` : ''}/${p.name}`
    return { cells: [nameOf(obj), ic.spec?.controller ?? '', params, ageOf(obj, now)] }
  },
}

export const networkPolicyPrinter: Printer = {
  columns: [NAME_COLUMN, col('Pod-Selector', 'string', 'Pods the policy applies to.'), AGE_COLUMN],
  row: (obj, now) => ({ cells: [nameOf(obj), formatLabelSelector(as<NetworkPolicy>(obj).spec?.podSelector ?? {}), ageOf(obj, now)] }),
}

export const endpointSlicePrinter: Printer = {
  columns: [
    NAME_COLUMN,
    col('AddressType', 'string', 'IPv4, IPv6 or FQDN.'),
    col('Ports', 'string', 'Port numbers (or names) of the slice.'),
    col('Endpoints', 'string', 'Endpoint addresses.'),
    AGE_COLUMN,
  ],
  row(obj, now) {
    const es = as<EndpointSlice>(obj)
    const ports = (es.ports ?? []).map((p) => (typeof p.port === 'number' ? String(p.port) : p.name !== undefined ? p.name : '*'))
    const addrs = (es.endpoints ?? []).flatMap((e) => e.addresses ?? [])
    return { cells: [nameOf(obj), es.addressType ?? '', listWithMore(ports, 3, '<unset>'), listWithMore(addrs, 3, '<unset>'), ageOf(obj, now)] }
  },
}
