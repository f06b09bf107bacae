// Asking one kubelet for its resource summary over HTTPS. The API server presents a client
// certificate for "system:kube-apiserver" (issued once per server from the cluster CA) and
// verifies the kubelet's serving certificate against the same CA, as upstream does with
// --kubelet-client-certificate and --kubelet-certificate-authority.
import { request } from 'node:https'
import type { Node } from 'kubernetes-types/core/v1'
import { issueClientCert, type KeyPair, type ServerPki } from '../../kit/pki'
import { KUBELET_SUMMARY_PATH, parseSummary, type KubeletResourceSummary } from '../../kit/kubelet-summary'

export const KUBELET_CLIENT_USER = 'system:kube-apiserver'
const TIMEOUT_MS = 5000

const identities = new WeakMap<ServerPki, KeyPair>()

/** The API server's client identity towards kubelets (made on first use, kept in memory). */
export function kubeletClientIdentity(pki: ServerPki): KeyPair {
  let id = identities.get(pki)
  if (!id) {
    id = issueClientCert(pki.ca, KUBELET_CLIENT_USER)
    identities.set(pki, id)
  }
  return id
}

/** Where a node's kubelet listens: InternalIP (else any address) and the daemon endpoint port. */
export function kubeletAddress(node: Node): { host: string; port: number } | undefined {
  const addrs = node.status?.addresses ?? []
  const host = (addrs.find((a) => a.type === 'InternalIP') ?? addrs.find((a) => a.type === 'ExternalIP') ?? addrs.find((a) => a.type === 'Hostname'))?.address
  const port = node.status?.daemonEndpoints?.kubeletEndpoint?.Port
  if (!host || !port) return undefined
  return { host, port }
}

export function fetchSummary(pki: ServerPki, node: Node): Promise<KubeletResourceSummary> {
  const name = node.metadata?.name ?? ''
  const addr = kubeletAddress(node)
  if (!addr) return Promise.reject(new Error(`node ${name} has no InternalIP address or kubelet port in its status`))
  const id = kubeletClientIdentity(pki)
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: addr.host,
        port: addr.port,
        method: 'GET',
        path: `${KUBELET_SUMMARY_PATH}?node=${encodeURIComponent(name)}`,
        ca: pki.ca.certPem,
        cert: id.certPem,
        key: id.keyPem,
        headers: { Accept: 'application/json' },
        timeout: TIMEOUT_MS,
      },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8')
          if (res.statusCode !== 200) {
            reject(new Error(`kubelet of node ${name} at ${addr.host}:${addr.port} answered ${res.statusCode}: ${text.slice(0, 200)}`))
            return
          }
          try {
            resolve(parseSummary(text))
          } catch (e) {
            reject(new Error(`kubelet of node ${name}: ${(e as Error).message}`))
          }
        })
        res.on('error', reject)
      },
    )
    req.on('timeout', () => req.destroy(new Error(`kubelet of node ${name} at ${addr.host}:${addr.port} did not answer within ${TIMEOUT_MS} ms`)))
    req.on('error', (e) => reject(new Error(`cannot reach the kubelet of node ${name} at ${addr.host}:${addr.port}: ${e.message}`)))
    req.end()
  })
}
