// The bundled `kubelab-node apiserver` on a real etcd (TLS with client certificates, flags as
// kube-apiserver names them), driven by the real kubectl; etcdctl reads the same data with the
// certificates laid out as kubeadm does.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { buildNodeBundle } from '../../provisioning/bundle'
import { freePort } from '../../src-cluster/util/net'
import { KUBECTL } from '../helpers/apiserver'
import { startTestEtcd, type TestEtcd } from '../helpers/etcd'
import { until } from '../helpers/wait'

interface Run {
  code: number
  stdout: string
  stderr: string
}

function run(cmd: string, args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(cmd, args, { env: { ...process.env, ...env }, timeout: 60_000, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0
      resolve({ code, stdout: String(stdout), stderr: String(stderr) })
    })
  })
}

let etcd: TestEtcd
let dir: string
let program: string
let apiserver: ChildProcess | undefined
let port: number
let logs = ''

async function startApiserver(): Promise<void> {
  const pki = etcd.pki!
  apiserver = spawn(
    process.execPath,
    [
      program,
      'apiserver',
      '--data-dir',
      join(dir, 'data'),
      '--secure-port',
      String(port),
      '--admin-kubeconfig',
      join(dir, 'admin.kubeconfig'),
      '--store',
      'etcd',
      '--etcd-servers',
      etcd.endpoint,
      '--etcd-cafile',
      pki.caFile,
      '--etcd-certfile',
      pki.clientCert,
      '--etcd-keyfile',
      pki.clientKey,
      '--etcd-compaction-interval',
      '0',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  )
  apiserver.stdout?.on('data', (c: Buffer) => (logs += c.toString()))
  apiserver.stderr?.on('data', (c: Buffer) => (logs += c.toString()))
  // Wait until kubectl gets an answer (the kubeconfig is written once the server serves).
  const p = apiserver
  await until(
    'the API server answering /readyz',
    async () => existsSync(join(dir, 'admin.kubeconfig')) && (await kubectl('get', '--raw', '/readyz')).code === 0,
    {
      timeoutMs: Infinity,
      intervalMs: 100,
      stopIf: () => (p.exitCode !== null ? `apiserver exited (${p.exitCode}):\n${logs}` : undefined),
    },
  )
}

async function stopApiserver(): Promise<void> {
  const p = apiserver
  apiserver = undefined
  if (!p || p.exitCode !== null) return
  const exited = new Promise((r) => p.once('exit', r))
  p.kill('SIGTERM')
  await exited
}

const kubectl = (...args: string[]) => run(KUBECTL, ['--kubeconfig', join(dir, 'admin.kubeconfig'), '--cache-dir', join(dir, 'cache'), ...args], { HOME: dir })
async function k(...args: string[]): Promise<string> {
  const r = await kubectl(...args)
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed (${r.code}): ${r.stderr}${r.stdout}\napiserver log:\n${logs.slice(-3000)}`)
  return r.stdout
}
const etcdctl = (...args: string[]) => {
  const pki = etcd.pki!
  return run('/usr/bin/etcdctl', ['--endpoints', etcd.endpoint, '--cacert', pki.caFile, '--cert', pki.healthcheckCert, '--key', pki.healthcheckKey, ...args], {
    ETCDCTL_API: '3',
  })
}

beforeAll(async () => {
  etcd = await startTestEtcd({ tls: true })
  dir = mkdtempSync(join(tmpdir(), 'kubelab-api-etcd-'))
  program = (await buildNodeBundle()).program
  port = await freePort()
  await startApiserver()
}, 120_000)

afterAll(async () => {
  await stopApiserver()
  await etcd?.stop()
  if (dir) rmSync(dir, { recursive: true, force: true })
})

describe('kubelab-node apiserver --store etcd', () => {
  it('stores objects in etcd: resourceVersion is the etcd revision, etcdctl sees the keys', async () => {
    await k('create', 'namespace', 'etcd-a')
    for (let i = 0; i < 5; i++) await k('-n', 'etcd-a', 'create', 'configmap', `cm${i}`, `--from-literal=i=${i}`)
    const cm = JSON.parse(await k('-n', 'etcd-a', 'get', 'configmap', 'cm3', '-o', 'json')) as { metadata: { resourceVersion: string } }
    const got = await etcdctl('get', '/registry/core/configmaps/etcd-a/cm3', '-w', 'json')
    expect(got.code, got.stderr).toBe(0)
    const kv = (JSON.parse(got.stdout) as { kvs: { mod_revision: number }[] }).kvs[0]
    expect(cm.metadata.resourceVersion).toBe(String(kv.mod_revision))
    const keys = await etcdctl('get', '/registry/core/configmaps/etcd-a/', '--prefix', '--keys-only')
    expect(keys.stdout.split('\n').filter(Boolean)).toEqual([0, 1, 2, 3, 4].map((i) => `/registry/core/configmaps/etcd-a/cm${i}`))
    // Paginated list (continue tokens) returns every object once.
    const names = await k('-n', 'etcd-a', 'get', 'configmaps', '--chunk-size=2', '-o', 'name')
    expect(names.split('\n').filter((l) => l.startsWith('configmap/cm'))).toEqual([0, 1, 2, 3, 4].map((i) => `configmap/cm${i}`))
    // Optimistic concurrency: an update with a stale resourceVersion is refused.
    const stale = await kubectl(
      '-n',
      'etcd-a',
      'patch',
      'configmap',
      'cm3',
      '--type=merge',
      '-p',
      JSON.stringify({ metadata: { resourceVersion: String(Number(cm.metadata.resourceVersion) - 1) }, data: { i: 'x' } }),
    )
    expect(stale.code).not.toBe(0)
    expect(stale.stderr).toMatch(/the object has been modified|Conflict/)
  })

  it('lists what etcd holds: changed objects read again at the list revision, unchanged ones from the watch cache, writes etcd got from elsewhere included', async () => {
    await k('create', 'namespace', 'etcd-c')
    for (let i = 0; i < 8; i++) await k('-n', 'etcd-c', 'create', 'configmap', `cm${i}`, `--from-literal=i=${i}`)
    type L = { metadata: { resourceVersion: string }; items: { metadata: { name: string; resourceVersion: string }; data?: Record<string, string> }[] }
    const list = async () => JSON.parse(await k('get', '--raw', '/api/v1/namespaces/etcd-c/configmaps')) as L
    const first = await list()
    expect(first.items.map((o) => o.data?.i)).toEqual(['0', '1', '2', '3', '4', '5', '6', '7'])
    // One changed (its value read alone), then most changed (the whole collection read again).
    await k('-n', 'etcd-c', 'patch', 'configmap', 'cm2', '--type=merge', '-p', '{"data":{"i":"two"}}')
    expect((await list()).items.map((o) => o.data?.i)).toEqual(['0', '1', 'two', '3', '4', '5', '6', '7'])
    for (const i of [0, 1, 3, 4, 5]) await k('-n', 'etcd-c', 'patch', 'configmap', `cm${i}`, '--type=merge', '-p', `{"data":{"i":"x${i}"}}`)
    await k('-n', 'etcd-c', 'delete', 'configmap', 'cm7')
    const after = await list()
    expect(after.items.map((o) => o.data?.i)).toEqual(['x0', 'x1', 'two', 'x3', 'x4', 'x5', '6'])
    // A write straight into etcd, past the API server: the next list shows it.
    const raw = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'raw', namespace: 'etcd-c', uid: 'u-raw', creationTimestamp: '2026-01-01T00:00:00Z' },
      data: { i: 'raw' },
    }
    expect((await etcdctl('put', '/registry/core/configmaps/etcd-c/raw', JSON.stringify(raw))).code).toBe(0)
    const withRaw = await list()
    expect(withRaw.items.map((o) => o.metadata.name)).toEqual(['cm0', 'cm1', 'cm2', 'cm3', 'cm4', 'cm5', 'cm6', 'raw'])
    expect(Number(withRaw.metadata.resourceVersion)).toBeGreaterThan(Number(after.metadata.resourceVersion))
    for (const o of withRaw.items) expect(o).toEqual(JSON.parse(await k('get', '--raw', `/api/v1/namespaces/etcd-c/configmaps/${o.metadata.name}`)))
  })

  it('answers 410 Gone for a watch or list older than the compaction', async () => {
    // kubectl get -o json wraps lists in its own List without a resourceVersion: read the raw list.
    const list = JSON.parse(await k('get', '--raw', '/api/v1/namespaces/etcd-a/configmaps')) as { metadata: { resourceVersion: string } }
    const old = Number(list.metadata.resourceVersion)
    await k('-n', 'etcd-a', 'label', 'configmap', 'cm0', 'x=1')
    await k('-n', 'etcd-a', 'label', 'configmap', 'cm1', 'x=1')
    const now = JSON.parse(await k('get', '--raw', '/api/v1/namespaces/etcd-a/configmaps')) as { metadata: { resourceVersion: string } }
    const c = await etcdctl('compact', now.metadata.resourceVersion)
    expect(c.code, c.stderr).toBe(0)
    const watch = await k('get', '--raw', `/api/v1/namespaces/etcd-a/configmaps?watch=1&resourceVersion=${old}`)
    expect(JSON.parse(watch.trim().split('\n')[0]!)).toMatchObject({ type: 'ERROR', object: { code: 410, reason: 'Expired' } })
    const exact = await kubectl('get', '--raw', `/api/v1/namespaces/etcd-a/configmaps?resourceVersion=${old}&resourceVersionMatch=Exact`)
    expect(exact.code).not.toBe(0)
    expect(exact.stderr).toMatch(/too old resource version|Expired|Gone/)
  })

  it('keeps everything across an API server restart (the state is in etcd)', async () => {
    await stopApiserver()
    await startApiserver()
    expect(await k('-n', 'etcd-a', 'get', 'configmap', 'cm4', '-o', 'jsonpath={.data.i}')).toBe('4')
    expect(logs).toMatch(/storing objects in etcd at https:\/\/127\.0\.0\.1/)
  })

  it('refuses bad etcd flags with what to do', async () => {
    const r = await run(process.execPath, [program, 'apiserver', '--data-dir', join(dir, 'x'), '--store', 'etcd'])
    expect(r.code).not.toBe(0)
    expect(r.stderr).toMatch(/--store etcd needs --etcd-servers/)
    const r2 = await run(process.execPath, [
      program,
      'apiserver',
      '--data-dir',
      join(dir, 'x'),
      '--etcd-servers',
      'https://127.0.0.1:1',
      '--etcd-cafile',
      join(dir, 'missing.crt'),
    ])
    expect(r2.stderr).toMatch(/--etcd-cafile .*missing\.crt: cannot read it/)
  })
})
