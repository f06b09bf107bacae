// The serving certificate of the hollow kubelets' metrics endpoint, signed by the cluster CA
// for the addresses the nodes report, so the API server can verify it.
import { issueCert, type KeyPair } from '../kit/pki'
import type { ServingTls } from './metrics-server'

export function kubeletServingTls(ca: KeyPair, hostIP: string): ServingTls {
  const ips = [...new Set([hostIP, '127.0.0.1'])]
  const pair = issueCert(ca, {
    commonName: 'system:node:kubelab-simulated',
    organizations: ['system:nodes'],
    server: true,
    dnsNames: ['localhost'],
    ipAddresses: ips,
  })
  return { certPem: pair.certPem, keyPem: pair.keyPem, caPem: ca.certPem }
}
