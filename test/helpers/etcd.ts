// Test harness: a throwaway etcd (Debian etcd-server's /usr/bin/etcd) on loopback with random
// ports and a temporary data directory, TLS with client certificates by default; stop()
// kills it and removes the directory.
import { spawn, type ChildProcess } from 'node:child_process'
import { get as httpGet, type IncomingMessage } from 'node:http'
import { get as httpsGet } from 'node:https'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort } from '../../src-cluster/util/net'
import { ensureEtcdPki, etcdMemberArgs, type EtcdPkiPaths } from '../../src-cluster/store/etcd-member'
import { openEtcdStore, type EtcdStore, type EtcdStoreOptions, type EtcdTls } from '../../src-cluster/store/etcd'

export const ETCD_BIN = '/usr/bin/etcd'

export interface TestEtcd {
  readonly endpoint: string
  readonly dir: string
  readonly pki?: EtcdPkiPaths
  readonly tls?: EtcdTls
  /** The member's settings, as `etcdctl snapshot restore` / `kubelab-node restore` need them. */
  readonly member: { readonly name: string; readonly dataDir: string; readonly peerUrl: string; readonly token: string }
  /** A new client (Storage) on this etcd. */
  open(extra?: Partial<EtcdStoreOptions>): Promise<EtcdStore>
  /** Stop the member, keeping its data (a restore replaces it). */
  halt(): Promise<void>
  /** Start the member again on its data directory and wait until it answers. */
  resume(): Promise<void>
  /** Start the member again without waiting (see healthy()). */
  launch(): void
  /** Whether the member answers `GET /health` with `"health":"true"` (what `etcdctl endpoint health` asks). */
  healthy(): Promise<boolean>
  stop(): Promise<void>
}

/** One member of a test etcd cluster on loopback (plain http) that a test starts and stops itself. */
export interface TestEtcdMember {
  readonly name: string
  readonly dataDir: string
  readonly client: number
  readonly peer: number
  proc?: ChildProcess
}

/** Starts `member` (Debian's etcd, output discarded) in `initialCluster`; does not wait for it. */
export function launchEtcdMember(member: TestEtcdMember, initialCluster: string, clusterToken: string): void {
  const { name, dataDir, client: clientPort, peer: peerPort } = member
  const args = etcdMemberArgs({ name, dataDir, ip: '127.0.0.1', clientPort, peerPort, initialCluster, clusterToken })
  member.proc = spawn(ETCD_BIN, args, { stdio: 'ignore' })
}

/** Stops `member` (SIGTERM) and waits until it has exited; nothing to do when it is not running. */
export async function haltEtcdMember(member: TestEtcdMember): Promise<void> {
  const p = member.proc
  if (!p || p.exitCode !== null || p.signalCode !== null) return
  const exited = new Promise((r) => p.once('exit', r))
  p.kill('SIGTERM')
  await exited
}

export async function startTestEtcd(opts: { tls?: boolean } = {}): Promise<TestEtcd> {
  const dir = mkdtempSync(join(tmpdir(), 'kubelab-etcd-'))
  const useTls = opts.tls ?? true
  const pki = useTls ? ensureEtcdPki(join(dir, 'pki'), 'test-etcd', ['127.0.0.1']) : undefined
  const [clientPort, peerPort] = [await freePort(), await freePort()]
  const member = { name: 'test-etcd', dataDir: join(dir, 'data'), peerUrl: `${useTls ? 'https' : 'http'}://127.0.0.1:${peerPort}`, token: 'kubelab-etcd' }
  const args = etcdMemberArgs({ name: member.name, dataDir: member.dataDir, ip: '127.0.0.1', clientPort, peerPort, pki, clusterToken: member.token })
  let proc: ChildProcess
  let stderr = ''
  const launch = () => {
    proc = spawn(ETCD_BIN, args, { stdio: ['ignore', 'ignore', 'pipe'] })
    proc.stderr?.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-4000)))
  }
  const endpoint = `${useTls ? 'https' : 'http'}://127.0.0.1:${clientPort}`
  const tls: EtcdTls | undefined = pki ? { ca: readFileSync(pki.caFile), cert: readFileSync(pki.clientCert), key: readFileSync(pki.clientKey) } : undefined
  const halt = async (): Promise<void> => {
    const p = proc
    if (p.exitCode === null && p.signalCode === null) {
      const exited = new Promise((r) => p.once('exit', r))
      p.kill('SIGTERM')
      await exited
    }
  }
  const stop = async (): Promise<void> => {
    await halt()
    rmSync(dir, { recursive: true, force: true })
  }
  const open = (extra: Partial<EtcdStoreOptions> = {}) =>
    openEtcdStore({ endpoints: [endpoint], tls, compactionIntervalMs: 0, dialTimeoutMs: 15_000, ...extra })
  const resume = async (): Promise<void> => {
    launch()
    try {
      const probe = await open()
      await probe.close()
    } catch (e) {
      throw new Error(`test etcd did not start: ${(e as Error).message}\n${stderr}`)
    }
  }
  try {
    await resume()
  } catch (e) {
    await stop()
    throw e
  }
  const healthy = () => etcdHealthy(endpoint, pki ? { ca: tls!.ca, cert: readFileSync(pki.healthcheckCert), key: readFileSync(pki.healthcheckKey) } : undefined)
  return { endpoint, dir, pki, tls, member, open, halt, resume, launch, healthy, stop }
}

/** `GET ENDPOINT/health` (with the healthcheck client certificate on TLS): true once the member has a leader and serves. */
export function etcdHealthy(endpoint: string, tls?: EtcdTls): Promise<boolean> {
  return new Promise((resolve) => {
    const url = `${endpoint}/health`
    const onResponse = (res: IncomingMessage) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (c: string) => (body += c))
      res.on('end', () => resolve(res.statusCode === 200 && /"health"\s*:\s*"true"/.test(body)))
      res.on('error', () => resolve(false))
    }
    const req = tls ? httpsGet(url, { ca: tls.ca, cert: tls.cert, key: tls.key, timeout: 2000 }, onResponse) : httpGet(url, { timeout: 2000 }, onResponse)
    req.on('timeout', () => req.destroy())
    req.on('error', () => resolve(false))
  })
}
