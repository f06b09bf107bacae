// Publishing cluster DNS as the Service kube-system/kube-dns at a fixed cluster IP. The DNS server
// runs as a host process (not a pod), so the Service has no selector and its EndpointSlice, one
// per DNS server, is written by the server itself with the address it serves on.
import type { Client } from '../client'
import { isAlreadyExists } from '../client'
import type { ServiceObj, SliceObj } from '../kit/objects'
import { RES } from '../kit/resources'
import { SERVICE_NAME_LABEL } from '../kit/endpoints'

export const KUBE_DNS_NAMESPACE = 'kube-system'
export const KUBE_DNS_SERVICE = 'kube-dns'
export const DEFAULT_DNS_CLUSTER_IP = '10.96.0.10'
const MANAGED_BY = 'endpointslice.kubernetes.io/managed-by'
const MANAGER = 'kubelab-dns'

export function kubeDnsService(clusterIP = DEFAULT_DNS_CLUSTER_IP): ServiceObj {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      name: KUBE_DNS_SERVICE,
      namespace: KUBE_DNS_NAMESPACE,
      labels: { 'k8s-app': 'kube-dns', 'kubernetes.io/name': 'CoreDNS', 'kubernetes.io/cluster-service': 'true' },
    },
    spec: {
      type: 'ClusterIP',
      clusterIP,
      clusterIPs: [clusterIP],
      ports: [
        { name: 'dns', port: 53, protocol: 'UDP', targetPort: 53 },
        { name: 'dns-tcp', port: 53, protocol: 'TCP', targetPort: 53 },
      ],
    },
  }
}

/** The slice naming one DNS server (`address`:`port`, served by host `nodeName`). */
export function kubeDnsEndpointSlice(address: string, port = 53, nodeName?: string): SliceObj {
  const suffix = (nodeName ?? address).toLowerCase().replace(/[^a-z0-9-]/g, '-')
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {
      name: `${KUBE_DNS_SERVICE}-${suffix}`,
      namespace: KUBE_DNS_NAMESPACE,
      labels: { [SERVICE_NAME_LABEL]: KUBE_DNS_SERVICE, [MANAGED_BY]: MANAGER },
    },
    addressType: 'IPv4',
    endpoints: [{ addresses: [address], conditions: { ready: true, serving: true, terminating: false }, ...(nodeName ? { nodeName } : {}) }],
    ports: [
      { name: 'dns', port, protocol: 'UDP' },
      { name: 'dns-tcp', port, protocol: 'TCP' },
    ],
  }
}

/**
 * Create (or correct) the kube-dns Service and this server's EndpointSlice. Returns a function
 * that deletes the slice again (clean shutdown), leaving the Service for other DNS servers.
 */
export async function registerKubeDns(
  client: Client,
  opts: { address: string; port?: number; clusterIP?: string; nodeName?: string },
): Promise<() => Promise<void>> {
  const svcRef = RES.services
  const sliceRef = RES.slices
  const want = kubeDnsService(opts.clusterIP)
  const have = await client.get<ServiceObj>(svcRef, KUBE_DNS_NAMESPACE, KUBE_DNS_SERVICE)
  if (!have) {
    try {
      await client.create(svcRef, KUBE_DNS_NAMESPACE, want)
    } catch (e) {
      if (!isAlreadyExists(e)) throw e
    }
  } else if (have.spec?.clusterIP !== want.spec?.clusterIP) {
    throw new Error(
      `Service ${KUBE_DNS_NAMESPACE}/${KUBE_DNS_SERVICE} exists with cluster IP ${have.spec?.clusterIP}, not ${want.spec?.clusterIP}: delete it or pass --cluster-ip ${have.spec?.clusterIP}`,
    )
  }
  const slice = kubeDnsEndpointSlice(opts.address, opts.port ?? 53, opts.nodeName)
  const name = slice.metadata!.name!
  const cur = await client.get<SliceObj>(sliceRef, KUBE_DNS_NAMESPACE, name)
  if (!cur) await client.create(sliceRef, KUBE_DNS_NAMESPACE, slice)
  else await client.update(sliceRef, { ...slice, metadata: { ...slice.metadata, resourceVersion: cur.metadata?.resourceVersion } })
  return async () => {
    await client.delete(sliceRef, KUBE_DNS_NAMESPACE, name)
  }
}
