// The cluster's PKI, made on the host at create time and kept in CLUSTER/pki: the CA, the API
// server's serving certificate (SANs: master address, the first service IP, kubernetes.*),
// the service-account signing key, the admin client certificate, and per node a kubelet
// client certificate (system:node:NAME), a kubelet serving certificate and a proxy client
// certificate. Idempotent: what exists is kept, so a re-run of create hands out the same
// credentials; a serving certificate whose names no longer match is re-issued.
import { generateKeyPairSync } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { createCA, issueCert, issueClientCert, type KeyPair } from '../../src-cluster/kit/pki'
import { kubeconfigYaml } from '../../src-cluster/apiserver/kubeconfig'

/** The API server's service IP: the first address of the default service range 10.96.0.0/12. */
export const KUBERNETES_SERVICE_IP = '10.96.0.1'
export const API_SERVER_PORT = 6443

export interface PkiNode {
  readonly name: string
  readonly ip: string
}

export interface ClusterPki {
  readonly dir: string
  readonly ca: KeyPair
  readonly apiserver: KeyPair
  readonly admin: KeyPair
  readonly serviceAccountKeyPem: string
  readonly serviceAccountPubPem: string
  /** The DNS names and IPs in the serving certificate, in the API server's own names-file format. */
  readonly apiserverNames: string
  node(name: string): { kubeletClient: KeyPair; kubeletServing: KeyPair; proxyClient: KeyPair }
  /** Control-plane component client credentials (scheduler, controller manager, DNS). */
  component(name: 'scheduler' | 'controller-manager' | 'dns'): KeyPair
  /** etcd certificates for a control-plane node (made on first use): kubeadm's set, from the cluster's etcd CA. */
  etcdMember(name: string): EtcdMemberPki
}

export interface EtcdMemberPki {
  readonly ca: KeyPair
  readonly server: KeyPair
  readonly peer: KeyPair
  readonly healthcheckClient: KeyPair
  readonly apiserverClient: KeyPair
}

function load(dir: string, base: string): KeyPair | undefined {
  const c = join(dir, `${base}.crt`)
  const k = join(dir, `${base}.key`)
  if (!existsSync(c) || !existsSync(k)) return undefined
  return { certPem: readFileSync(c, 'utf8'), keyPem: readFileSync(k, 'utf8') }
}

function save(dir: string, base: string, p: KeyPair): KeyPair {
  mkdirSync(dir, { recursive: true, mode: 0o700 })
  writeFileSync(join(dir, `${base}.crt`), p.certPem, { mode: 0o644 })
  writeFileSync(join(dir, `${base}.key`), p.keyPem, { mode: 0o600 })
  return p
}

function ensure(dir: string, base: string, make: () => KeyPair): KeyPair {
  return load(dir, base) ?? save(dir, base, make())
}

/** The serving certificate's names, matching what the API server computes for these flags. */
export function apiserverSans(masterIp: string, extraIps: readonly string[] = []): { dnsNames: string[]; ipAddresses: string[] } {
  return {
    dnsNames: ['localhost', 'kubernetes', 'kubernetes.default', 'kubernetes.default.svc', 'kubernetes.default.svc.cluster.local'],
    ipAddresses: [...new Set(['127.0.0.1', masterIp, KUBERNETES_SERVICE_IP, ...extraIps])],
  }
}

/**
 * `extraSans`: more addresses the API servers answer on (every control-plane node's and the
 * stable endpoint's when there are several), so one serving certificate fits every API server.
 */
export function ensureClusterPki(
  clusterDir: string,
  clusterName: string,
  masterIp: string,
  nodes: readonly PkiNode[],
  extraSans: readonly string[] = [],
): ClusterPki {
  const dir = join(clusterDir, 'pki')
  mkdirSync(dir, { recursive: true, mode: 0o700 })
  const ca = ensure(dir, 'ca', () => createCA(`kubelab-${clusterName}-ca`))
  const sans = apiserverSans(masterIp, extraSans)
  const names = JSON.stringify({ d: [...sans.dnsNames].sort(), i: [...sans.ipAddresses].sort() })
  const namesFile = join(dir, 'apiserver.names')
  let apiserver = load(dir, 'apiserver')
  if (!apiserver || !existsSync(namesFile) || readFileSync(namesFile, 'utf8') !== names) {
    apiserver = save(dir, 'apiserver', issueCert(ca, { commonName: 'kube-apiserver', server: true, ...sans }))
    writeFileSync(namesFile, names)
  }
  const admin = ensure(dir, 'admin', () => issueClientCert(ca, 'kubernetes-admin', ['system:masters']))
  const saKey = join(dir, 'sa.key')
  const saPub = join(dir, 'sa.pub')
  if (!existsSync(saKey) || !existsSync(saPub)) {
    const k = generateKeyPairSync('rsa', {
      modulusLength: 2048,
      publicKeyEncoding: { type: 'spki', format: 'pem' },
      privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    })
    writeFileSync(saKey, k.privateKey, { mode: 0o600 })
    writeFileSync(saPub, k.publicKey, { mode: 0o644 })
  }
  const byName = new Map(nodes.map((n) => [n.name, n]))
  const nodeCerts = new Map<string, ReturnType<ClusterPki['node']>>()
  for (const n of nodes) {
    const nd = join(dir, 'nodes', n.name)
    nodeCerts.set(n.name, {
      kubeletClient: ensure(nd, 'kubelet-client', () => issueClientCert(ca, `system:node:${n.name}`, ['system:nodes'])),
      kubeletServing: ensure(nd, `kubelet-serving-${n.ip}`, () =>
        issueCert(ca, { commonName: n.name, server: true, dnsNames: [n.name, 'localhost'], ipAddresses: [n.ip, '127.0.0.1'] }),
      ),
      proxyClient: ensure(nd, 'proxy-client', () => issueClientCert(ca, 'system:kube-proxy', ['system:node-proxier'])),
    })
  }
  const components = new Map<string, KeyPair>()
  const users = { scheduler: 'system:kube-scheduler', 'controller-manager': 'system:kube-controller-manager', dns: 'system:kube-dns' } as const
  for (const [c, user] of Object.entries(users))
    components.set(
      c,
      ensure(join(dir, 'components'), c, () => issueClientCert(ca, user)),
    )
  return {
    dir,
    ca,
    apiserver,
    admin,
    serviceAccountKeyPem: readFileSync(saKey, 'utf8'),
    serviceAccountPubPem: readFileSync(saPub, 'utf8'),
    apiserverNames: names,
    node(name) {
      const c = nodeCerts.get(name)
      if (!c || !byName.has(name)) throw new Error(`no certificates for node ${name}: it is not part of this cluster's PKI`)
      return c
    },
    component(name) {
      return components.get(name)!
    },
    etcdMember(name) {
      const n = byName.get(name)
      if (!n) throw new Error(`no etcd certificates for node ${name}: it is not part of this cluster's PKI`)
      // Its own CA, as kubeadm makes etcd/ca: etcd trusts only certificates made for it.
      const etcdCa = ensure(join(dir, 'etcd'), 'ca', () => createCA(`kubelab-${clusterName}-etcd-ca`))
      const md = join(dir, 'etcd', 'nodes', name)
      const names = { dnsNames: ['localhost', name], ipAddresses: [...new Set(['127.0.0.1', n.ip])] }
      return {
        ca: etcdCa,
        server: ensure(md, `server-${n.ip}`, () => issueCert(etcdCa, { commonName: name, server: true, client: true, ...names })),
        peer: ensure(md, `peer-${n.ip}`, () => issueCert(etcdCa, { commonName: name, server: true, client: true, ...names })),
        healthcheckClient: ensure(join(dir, 'etcd'), 'healthcheck-client', () =>
          issueCert(etcdCa, { commonName: 'kube-etcd-healthcheck-client', client: true }),
        ),
        apiserverClient: ensure(join(dir, 'etcd'), 'apiserver-etcd-client', () =>
          issueCert(etcdCa, { commonName: 'kube-apiserver-etcd-client', client: true }),
        ),
      }
    },
  }
}

/**
 * A kubeconfig for a component or user of this cluster, pointing at `server`: an address (the
 * master's, port 6443) or host:port (the stable endpoint of several control planes).
 */
export function componentKubeconfig(pki: ClusterPki, server: string, user: string, pair: KeyPair): string {
  const url = server.includes(':') ? `https://${server}` : `https://${server}:${API_SERVER_PORT}`
  return kubeconfigYaml({ server: url, caPem: pki.ca.certPem, user, certPem: pair.certPem, keyPem: pair.keyPem, clusterName: 'kubelab' })
}
