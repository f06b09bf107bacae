// How KubeLab runs an etcd member (the distribution's `etcd` binary): certificates laid out as
// kubeadm does under a pki directory, and the member's command line. Used by the `local`
// provider's supervised component, the VM providers' systemd unit, and the tests.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { createCA, issueCert, type KeyPair } from '../kit/pki'

/** Files under a pki directory, as kubeadm names them (/etc/kubernetes/pki on its nodes). */
export const ETCD_PKI = {
  ca: 'etcd/ca',
  server: 'etcd/server',
  peer: 'etcd/peer',
  healthcheck: 'etcd/healthcheck-client',
  apiserverClient: 'apiserver-etcd-client',
} as const

export interface EtcdPkiPaths {
  readonly caFile: string
  readonly serverCert: string
  readonly serverKey: string
  readonly peerCert: string
  readonly peerKey: string
  /** The API server's client pair (--etcd-certfile/--etcd-keyfile). */
  readonly clientCert: string
  readonly clientKey: string
  readonly healthcheckCert: string
  readonly healthcheckKey: string
}

export function etcdPkiPaths(pkiDir: string): EtcdPkiPaths {
  const f = (base: string, ext: string) => join(pkiDir, `${base}.${ext}`)
  return {
    caFile: f(ETCD_PKI.ca, 'crt'),
    serverCert: f(ETCD_PKI.server, 'crt'),
    serverKey: f(ETCD_PKI.server, 'key'),
    peerCert: f(ETCD_PKI.peer, 'crt'),
    peerKey: f(ETCD_PKI.peer, 'key'),
    clientCert: f(ETCD_PKI.apiserverClient, 'crt'),
    clientKey: f(ETCD_PKI.apiserverClient, 'key'),
    healthcheckCert: f(ETCD_PKI.healthcheck, 'crt'),
    healthcheckKey: f(ETCD_PKI.healthcheck, 'key'),
  }
}

function load(dir: string, base: string): KeyPair | undefined {
  const c = join(dir, `${base}.crt`)
  const k = join(dir, `${base}.key`)
  return existsSync(c) && existsSync(k) ? { certPem: readFileSync(c, 'utf8'), keyPem: readFileSync(k, 'utf8') } : undefined
}

function save(dir: string, base: string, p: KeyPair): void {
  writeFileSync(join(dir, `${base}.crt`), p.certPem, { mode: 0o644 })
  writeFileSync(join(dir, `${base}.key`), p.keyPem, { mode: 0o600 })
}

/**
 * The etcd CA (its own, as kubeadm makes it) and the certificates of one member named `name`
 * serving on `ips`, plus the API server's and the health check's client certificates.
 * Existing files are kept; missing ones are made.
 */
export function ensureEtcdPki(pkiDir: string, name: string, ips: readonly string[]): EtcdPkiPaths {
  mkdirSync(join(pkiDir, 'etcd'), { recursive: true, mode: 0o700 })
  let ca = load(pkiDir, ETCD_PKI.ca)
  if (!ca) {
    ca = createCA('etcd-ca')
    save(pkiDir, ETCD_PKI.ca, ca)
  }
  const names = { dnsNames: ['localhost', name], ipAddresses: [...new Set(['127.0.0.1', ...ips])] }
  if (!load(pkiDir, ETCD_PKI.server)) save(pkiDir, ETCD_PKI.server, issueCert(ca, { commonName: name, server: true, client: true, ...names }))
  if (!load(pkiDir, ETCD_PKI.peer)) save(pkiDir, ETCD_PKI.peer, issueCert(ca, { commonName: name, server: true, client: true, ...names }))
  if (!load(pkiDir, ETCD_PKI.healthcheck)) save(pkiDir, ETCD_PKI.healthcheck, issueCert(ca, { commonName: 'kube-etcd-healthcheck-client', client: true }))
  if (!load(pkiDir, ETCD_PKI.apiserverClient)) {
    save(pkiDir, ETCD_PKI.apiserverClient, issueCert(ca, { commonName: 'kube-apiserver-etcd-client', client: true }))
  }
  return etcdPkiPaths(pkiDir)
}

export interface EtcdMemberSpec {
  readonly name: string
  readonly dataDir: string
  /** Address peers and clients reach this member on (127.0.0.1 for a single loopback member). */
  readonly ip: string
  readonly clientPort?: number
  readonly peerPort?: number
  /** name=https://ip:peerPort for every member; default: this member alone. */
  readonly initialCluster?: string
  readonly initialClusterState?: 'new' | 'existing'
  readonly clusterToken?: string
  /** Without TLS (tests, benchmarks): plain http on loopback. */
  readonly pki?: EtcdPkiPaths
  /**
   * The host name peers reach this member at (its node name, resolved through /etc/hosts on
   * VMs whose addresses may change): advertised in its peer URL, which etcd keeps in its
   * membership data. It then listens for peers on every address. Absent: `ip`.
   */
  readonly peerHost?: string
}

/** etcd's command line for one member (flags as the Debian package's etcd 3.4 takes them). */
export function etcdMemberArgs(spec: EtcdMemberSpec): string[] {
  const scheme = spec.pki ? 'https' : 'http'
  const client = spec.clientPort ?? 2379
  const peer = spec.peerPort ?? 2380
  const peerUrl = `${scheme}://${spec.peerHost ?? spec.ip}:${peer}`
  const listenPeer = spec.peerHost ? `${scheme}://0.0.0.0:${peer}` : peerUrl
  const listenClients = [`${scheme}://127.0.0.1:${client}`, ...(spec.ip !== '127.0.0.1' ? [`${scheme}://${spec.ip}:${client}`] : [])].join(',')
  const args = [
    '--name',
    spec.name,
    '--data-dir',
    spec.dataDir,
    '--listen-client-urls',
    listenClients,
    '--advertise-client-urls',
    `${scheme}://${spec.ip}:${client}`,
    '--listen-peer-urls',
    listenPeer,
    '--initial-advertise-peer-urls',
    peerUrl,
    '--initial-cluster',
    spec.initialCluster ?? `${spec.name}=${peerUrl}`,
    '--initial-cluster-state',
    spec.initialClusterState ?? 'new',
    '--initial-cluster-token',
    spec.clusterToken ?? 'kubelab-etcd',
    // As kubeadm: progress notifications let watchers learn the revision without events.
    '--experimental-watch-progress-notify-interval',
    '5s',
    '--snapshot-count',
    '10000',
    '--logger',
    'zap',
    '--log-level',
    'warn',
  ]
  if (spec.pki) {
    args.push(
      '--trusted-ca-file',
      spec.pki.caFile,
      '--cert-file',
      spec.pki.serverCert,
      '--key-file',
      spec.pki.serverKey,
      '--client-cert-auth',
      '--peer-trusted-ca-file',
      spec.pki.caFile,
      '--peer-cert-file',
      spec.pki.peerCert,
      '--peer-key-file',
      spec.pki.peerKey,
      '--peer-client-cert-auth',
    )
  }
  return args
}
