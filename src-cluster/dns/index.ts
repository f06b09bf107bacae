// Cluster DNS: a DNS server fed by Service and EndpointSlice informers.
import type { Client } from '../client'
import { InformerFactory } from '../client'
import { DnsIndex } from './index-data'
import { startDnsServer, type DnsServer, type DnsServerOptions } from './server'
import type { ServiceObj, SliceObj } from '../kit/objects'
import { RES } from '../kit/resources'

export { DnsIndex, dashed } from './index-data'
export { resolveQuestion, ANSWER_TTL, NEGATIVE_TTL, RCODE, type Reply, type Resolution } from './answer'
export { startDnsServer, upstreamFromResolvConf, type DnsServer, type DnsServerOptions } from './server'
export { registerKubeDns, kubeDnsService, kubeDnsEndpointSlice, KUBE_DNS_NAMESPACE, KUBE_DNS_SERVICE, DEFAULT_DNS_CLUSTER_IP } from './kube-dns'
export { podDnsConfig, type PodDnsInput, type CriDnsConfig } from './pod-dns'

export interface ClusterDns {
  readonly server: DnsServer
  stop(): Promise<void>
}

/** Start informers, wait for their first list, then serve. */
export async function startClusterDns(client: Client, opts: Omit<DnsServerOptions, 'data'> & { readonly informers?: InformerFactory }): Promise<ClusterDns> {
  const factory = opts.informers?.scoped() ?? new InformerFactory(client, { log: opts.log })
  const services = factory.for<ServiceObj>(RES.services)
  const slices = factory.for<SliceObj>(RES.slices)
  let index: DnsIndex | undefined
  const dirty = (): void => {
    index = undefined
  }
  for (const inf of [services, slices]) inf.addHandler({ add: dirty, update: dirty, delete: dirty })
  await factory.startAll()
  const server = await startDnsServer({ ...opts, data: () => (index ??= new DnsIndex(services.list(), slices.list())) })
  return {
    server,
    async stop() {
      factory.stopAll()
      await server.close()
    },
  }
}
