// What a pod's /etc/resolv.conf holds, by dnsPolicy, as the kubelet hands it to the runtime
// (CRI DNSConfig: servers, searches, options). ClusterFirst: the cluster DNS, the search path
// <ns>.svc.<domain> svc.<domain> <domain>, ndots:5; spec.dnsConfig adds to it.
import type { PodDNSConfig } from 'kubernetes-types/core/v1'

export interface PodDnsInput {
  readonly namespace: string
  readonly dnsPolicy?: string
  readonly hostNetwork?: boolean
  readonly dnsConfig?: PodDNSConfig
}

export interface CriDnsConfig {
  readonly servers: string[]
  readonly searches: string[]
  readonly options: string[]
}

/** The pod's DNS configuration; undefined means "use the node's resolv.conf" (dnsPolicy Default). */
export function podDnsConfig(pod: PodDnsInput, cluster: { clusterDNS: string; clusterDomain: string }): CriDnsConfig | undefined {
  let policy = pod.dnsPolicy ?? 'ClusterFirst'
  // Host-network pods only use cluster DNS when asked to explicitly.
  if (policy === 'ClusterFirst' && pod.hostNetwork) policy = 'Default'
  let base: CriDnsConfig | undefined
  if (policy === 'ClusterFirst' || policy === 'ClusterFirstWithHostNet') {
    const d = cluster.clusterDomain
    base = { servers: [cluster.clusterDNS], searches: [`${pod.namespace}.svc.${d}`, `svc.${d}`, d], options: ['ndots:5'] }
  } else if (policy === 'None') {
    base = { servers: [], searches: [], options: [] }
  }
  const extra = pod.dnsConfig
  if (!extra) return base
  const b = base ?? { servers: [], searches: [], options: [] }
  const opts = new Map<string, string>()
  for (const o of b.options) opts.set(o.split(':')[0]!, o)
  for (const o of extra.options ?? []) if (o.name) opts.set(o.name, o.value !== undefined ? `${o.name}:${o.value}` : o.name)
  return {
    servers: [...new Set([...b.servers, ...(extra.nameservers ?? [])])].slice(0, 3),
    searches: [...new Set([...b.searches, ...(extra.searches ?? [])])].slice(0, 32),
    options: [...opts.values()],
  }
}
