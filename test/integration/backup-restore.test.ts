// Backup and restore against the bundled `kubelab-node apiserver` as a real process, on the
// embedded store and on a real etcd (TLS): a backup taken while a writer runs holds exactly the
// objects at its revision; `kubelab-node restore` (etcdctl snapshot restore underneath for etcd)
// brings exactly those back, and clients holding newer resourceVersions get 410 and re-list;
// damaged, foreign and mismatched files and a running server are refused with nothing changed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs'
import { request } from 'node:https'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { buildNodeBundle } from '../../provisioning/bundle'
import { freePort } from '../../src-cluster/util/net'
import { loadKubeconfig } from '../../src-cluster/client/kubeconfig'
import type { ClientConfig } from '../../src-cluster/client/types'
import { readBackup } from '../../src-cluster/backup/archive'
import { verifyEmbeddedSnapshot } from '../../src-cluster/backup/embedded'
import { takeBackup } from '../../src-cluster/backup/take'
import { startTestEtcd, type TestEtcd } from '../helpers/etcd'
import { until } from '../helpers/wait'

interface Run {
  code: number
  stdout: string
  stderr: string
}

function run(cmd: string, args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(cmd, args, { env: { ...process.env, ...env }, timeout: 180_000, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0
      resolve({ code, stdout: String(stdout), stderr: String(stderr) })
    })
  })
}

let program: string
beforeAll(async () => {
  program = (await buildNodeBundle()).program
}, 120_000)

/** One API server process with its data directory, and raw HTTPS calls as the admin. */
class Server {
  proc: ChildProcess | undefined
  logs = ''
  api!: ClientConfig
  constructor(
    readonly dir: string,
    readonly port: number,
    readonly storeArgs: string[],
  ) {}

  get kubeconfig(): string {
    return join(this.dir, 'admin.kubeconfig')
  }

  async start(): Promise<void> {
    rmSync(this.kubeconfig, { force: true })
    const p = spawn(
      process.execPath,
      [
        program,
        'apiserver',
        '--data-dir',
        join(this.dir, 'data'),
        '--secure-port',
        String(this.port),
        '--admin-kubeconfig',
        this.kubeconfig,
        ...this.storeArgs,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    )
    this.proc = p
    p.stdout?.on('data', (c: Buffer) => (this.logs += c.toString()))
    p.stderr?.on('data', (c: Buffer) => (this.logs += c.toString()))
    // The kubeconfig may be caught half-written: a throw is read again next round.
    await until(
      'the API server answering /readyz',
      async () => {
        this.api = loadKubeconfig(this.kubeconfig)
        return (await this.call('GET', '/readyz')).status === 200
      },
      { timeoutMs: Infinity, intervalMs: 100, stopIf: () => (p.exitCode !== null ? `apiserver exited (${p.exitCode}):\n${this.logs}` : undefined) },
    )
  }

  async stop(): Promise<void> {
    const p = this.proc
    this.proc = undefined
    if (!p || p.exitCode !== null) return
    const exited = new Promise((r) => p.once('exit', r))
    p.kill('SIGTERM')
    await exited
  }

  call(method: string, path: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown>; text: string }> {
    return new Promise((resolve, reject) => {
      const req = request(
        new URL(path, this.api.server),
        { method, ca: this.api.caPem, cert: this.api.certPem, key: this.api.keyPem, headers: { 'Content-Type': 'application/json' } },
        (res) => {
          let text = ''
          res.on('data', (c: Buffer) => (text += c.toString()))
          res.on('end', () => {
            let json: Record<string, unknown> = {}
            try {
              json = JSON.parse(text.trim().split('\n')[0] ?? '{}') as Record<string, unknown>
            } catch {
              // not JSON (readyz)
            }
            resolve({ status: res.statusCode ?? 0, json, text })
          })
        },
      )
      req.on('error', reject)
      req.end(body === undefined ? undefined : JSON.stringify(body))
    })
  }

  async ok(method: string, path: string, body?: unknown): Promise<Record<string, unknown>> {
    const r = await this.call(method, path, body)
    if (r.status >= 300) throw new Error(`${method} ${path}: ${r.status} ${r.text}`)
    return r.json
  }

  createCm(ns: string, name: string, data: Record<string, string>): Promise<Record<string, unknown>> {
    return this.ok('POST', `/api/v1/namespaces/${ns}/configmaps`, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data })
  }

  /** Every ConfigMap as name → resourceVersion + data, at a revision (Exact) or now. */
  async configMaps(revision?: number): Promise<{ revision: number; items: Map<string, string> }> {
    const q = revision === undefined ? '' : `?resourceVersion=${revision}&resourceVersionMatch=Exact`
    const list = (await this.ok('GET', `/api/v1/configmaps${q}`)) as {
      metadata: { resourceVersion: string }
      items: { metadata: { namespace: string; name: string; resourceVersion: string }; data?: unknown }[]
    }
    const items = new Map(
      list.items.map((i) => [`${i.metadata.namespace}/${i.metadata.name}`, `${i.metadata.resourceVersion} ${JSON.stringify(i.data ?? {})}`]),
    )
    return { revision: Number(list.metadata.resourceVersion), items }
  }
}

/** Writes ConfigMaps as fast as the server acknowledges them until stopped. */
function startWriter(s: Server, ns: string): { stop: () => Promise<number> } {
  let running = true
  let n = 0
  const loop = (async () => {
    while (running) {
      await s.createCm(ns, `w${n}`, { n: String(n) })
      n++
    }
  })()
  return {
    async stop() {
      running = false
      await loop
      return n
    },
  }
}

const restore = (args: string[]) => run(process.execPath, [program, 'restore', ...args])

interface Kind {
  readonly name: 'embedded' | 'etcd'
  setup(dir: string): Promise<{
    storeArgs: string[]
    restoreArgs: (minRevision: number) => string[]
    halt: () => Promise<void>
    resume: () => Promise<void>
    cleanup: () => Promise<void>
  }>
}

const kinds: Kind[] = [
  {
    name: 'embedded',
    async setup(dir) {
      return { storeArgs: [], restoreArgs: () => ['--data-dir', join(dir, 'data')], halt: async () => {}, resume: async () => {}, cleanup: async () => {} }
    },
  },
  {
    name: 'etcd',
    async setup() {
      const etcd: TestEtcd = await startTestEtcd({ tls: true })
      const pki = etcd.pki!
      const m = etcd.member
      return {
        storeArgs: [
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
        restoreArgs: (minRevision) => [
          '--etcd-data-dir',
          m.dataDir,
          '--name',
          m.name,
          '--initial-cluster',
          `${m.name}=${m.peerUrl}`,
          '--initial-advertise-peer-urls',
          m.peerUrl,
          '--initial-cluster-token',
          m.token,
          '--min-revision',
          String(minRevision),
        ],
        halt: () => etcd.halt(),
        resume: () => etcd.resume(),
        cleanup: () => etcd.stop(),
      }
    },
  },
]

describe.each(kinds)('backup and restore on the $name store', (kind) => {
  let dir: string
  let s: Server
  let env: Awaited<ReturnType<Kind['setup']>>
  let backupFile: string
  let backupRevision: number
  let atBackup: Map<string, string>

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), `kubelab-backup-${kind.name}-`))
    env = await kind.setup(dir)
    s = new Server(dir, await freePort(), env.storeArgs)
    await s.start()
  }, 120_000)

  afterAll(async () => {
    await s?.stop()
    await env?.cleanup()
    if (dir) rmSync(dir, { recursive: true, force: true })
  })

  it('takes a consistent, verified backup while a writer runs', async () => {
    await s.ok('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'keep' } })
    await s.ok('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'busy' } })
    for (let i = 0; i < 20; i++) await s.createCm('keep', `cm${i}`, { i: String(i) })
    const writer = startWriter(s, 'busy')
    await new Promise((r) => setTimeout(r, 300))
    backupFile = join(dir, 'cluster.backup.tar.gz')
    const lines: string[] = []
    const taken = await takeBackup({ api: s.api, cluster: 'test', out: backupFile, progress: (l) => lines.push(l) })
    const written = await writer.stop()
    expect(written).toBeGreaterThan(0)
    backupRevision = taken.manifest.revision
    expect(taken.manifest).toMatchObject({ cluster: 'test', store: kind.name })
    expect(lines.join('\n')).toMatch(/snapshot verified/)
    // The writer went on after the snapshot: the backup is one revision, not "whatever was there".
    const now = await s.configMaps()
    expect(now.revision).toBeGreaterThan(backupRevision)
    atBackup = (await s.configMaps(backupRevision)).items
    expect(atBackup.size).toBeLessThan(now.items.size)
    expect([...atBackup.keys()].filter((k) => k.startsWith('keep/'))).toHaveLength(20)
    // Reading the archive verifies every entry; the snapshot inside is the store's own format.
    const opened = await readBackup(backupFile, join(dir, 'opened'))
    expect(opened.sha256).toBe(taken.sha256)
    const snap = opened.files.get(opened.manifest.snapshot)!
    if (kind.name === 'embedded') {
      const inSnapshot = new Map<string, number>()
      await verifyEmbeddedSnapshot(snap, (kv) => {
        const m = /^\/registry\/core\/configmaps\/([^/]+)\/([^/]+)$/.exec(kv.key)
        if (m) inSnapshot.set(`${m[1]}/${m[2]}`, kv.modRevision)
      })
      expect(new Map([...atBackup].map(([k, v]) => [k, Number(v.split(' ')[0])]))).toEqual(inSnapshot)
    } else {
      // etcd's own tool reads it: the file is what etcdctl snapshot save writes.
      const st = await run('/usr/bin/etcdctl', ['snapshot', 'status', snap, '-w', 'json'], { ETCDCTL_API: '3' })
      expect(st.code, st.stderr).toBe(0)
      expect((JSON.parse(st.stdout) as { revision: number }).revision).toBe(backupRevision)
    }
  }, 120_000)

  it('serves the snapshot only to those RBAC allows (it holds every Secret)', async () => {
    await s.ok('POST', '/api/v1/namespaces/keep/serviceaccounts', { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'reader' } })
    const tr = (await s.ok('POST', '/api/v1/namespaces/keep/serviceaccounts/reader/token', {
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenRequest',
      spec: {},
    })) as { status: { token: string } }
    const denied = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(
        new URL('/kubelab/v1/snapshot', s.api.server),
        { ca: s.api.caPem, headers: { Authorization: `Bearer ${tr.status.token}` } },
        (res) => {
          let body = ''
          res.on('data', (c: Buffer) => (body += c.toString()))
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
        },
      )
      req.on('error', reject)
      req.end()
    })
    expect(denied.status, denied.body).toBe(403)
    expect((JSON.parse(denied.body) as { message: string }).message).toMatch(/system:serviceaccount:keep:reader.*cannot get path "\/kubelab\/v1\/snapshot"/)
    expect((await s.call('POST', '/kubelab/v1/snapshot')).status).toBe(405)
  })

  it('refuses to restore while the API server runs, and changes nothing', async () => {
    const before = await s.configMaps()
    const r = await restore(['--from', backupFile, ...env.restoreArgs(before.revision)])
    expect(r.code).not.toBe(0)
    expect(r.stderr).toMatch(kind.name === 'embedded' ? /API server is running on .*stop it first/ : /etcd is running on .*stop the API server and etcd first/)
    expect((await s.configMaps()).items).toEqual(before.items)
  }, 60_000)

  let preRestoreRevision: number
  it('refuses damaged, foreign and mismatched files with the reason, changing nothing', async () => {
    await s.createCm('keep', 'after-backup', { x: '1' })
    await s.ok('DELETE', '/api/v1/namespaces/keep/configmaps/cm3')
    const before = await s.configMaps()
    preRestoreRevision = before.revision
    await s.stop()
    await env.halt()
    const truncated = join(dir, 'truncated.tar.gz')
    copyFileSync(backupFile, truncated)
    truncateSync(truncated, Math.floor(readFileSync(backupFile).length / 2))
    const t = await restore(['--from', truncated, ...env.restoreArgs(preRestoreRevision)])
    expect(t.code).toBe(1)
    expect(t.stderr).toMatch(/truncated\.tar\.gz is damaged: it ends early .*copied completely/)
    const foreign = join(dir, 'notes.txt')
    writeFileSync(foreign, 'just some text, not a backup\n')
    const f = await restore(['--from', foreign, ...env.restoreArgs(preRestoreRevision)])
    expect(f.stderr).toMatch(/notes\.txt is not a KubeLab backup/)
    const other =
      kind.name === 'embedded'
        ? [
            '--etcd-data-dir',
            join(dir, 'nowhere'),
            '--name',
            'x',
            '--initial-cluster',
            'x=http://127.0.0.1:1',
            '--initial-advertise-peer-urls',
            'http://127.0.0.1:1',
          ]
        : ['--data-dir', join(dir, 'nowhere')]
    const k = await restore(['--from', backupFile, ...other])
    expect(k.stderr).toMatch(/a backup goes back into the kind of store it came from/)
    expect(existsSync(join(dir, 'nowhere'))).toBe(false)
    // Nothing changed: the server comes back with the objects written after the backup.
    await env.resume()
    await s.start()
    expect((await s.configMaps()).items).toEqual(before.items)
    await s.stop()
    await env.halt()
  }, 120_000)

  it('restores exactly the objects at backup time; clients with newer resourceVersions re-list', async () => {
    const r = await restore(['--from', backupFile, ...env.restoreArgs(preRestoreRevision)])
    expect(r.code, r.stderr + r.stdout).toBe(0)
    expect(r.stdout).toMatch(/every entry matches its SHA-256/)
    expect(r.stdout).toMatch(new RegExp(`from revision ${backupRevision}, continuing at revision \\d+`))
    await env.resume()
    await s.start()
    const after = await s.configMaps()
    expect(after.items).toEqual(atBackup)
    expect(after.revision).toBeGreaterThan(preRestoreRevision)
    // A watch from a resourceVersion the old store had handed out ends with 410 Expired.
    const w = await s.call('GET', `/api/v1/namespaces/keep/configmaps?watch=1&resourceVersion=${preRestoreRevision}&timeoutSeconds=5`)
    expect(w.json).toMatchObject({ type: 'ERROR', object: { code: 410 } })
    // Writes go on past the old revisions.
    const made = (await s.createCm('keep', 'new-after-restore', { y: '1' })) as { metadata: { resourceVersion: string } }
    expect(Number(made.metadata.resourceVersion)).toBeGreaterThan(preRestoreRevision)
    // The replaced data was kept, not deleted.
    const parent = kind.name === 'embedded' ? join(dir, 'data') : join(env.restoreArgs(0)[1]!, '..')
    expect(readdirSync(parent).some((n) => n.includes('before-restore-'))).toBe(true)
  }, 180_000)
})
