// HA benchmark: API writes (ConfigMap create and update through HTTPS) against `kubelab-node
// apiserver` as its own process, once on the embedded store and once on a real etcd (Debian
// etcd-server, TLS with client certificates, as `kubelab create --store etcd` runs it), in the
// same run, 1 and 16 concurrent clients. Failover times need --control-planes 3, which does not
// exist yet: the table says so instead of inventing figures.
// Run: npx tsx bench/ha.bench.ts
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { Agent, request } from 'node:https'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parse } from 'yaml'
import { nowMs, summarize, type Summary } from './lib/stats'
import { formatTable } from './lib/table'
import { writeResults } from './lib/results'
import { freePort } from '../src-cluster/util/net'
import { ensureEtcdPki, etcdMemberArgs } from '../src-cluster/store/etcd-member'

const ROOT = new URL('..', import.meta.url).pathname
const N = Number(process.env.BENCH_OPS ?? 1500)
const CLIENTS = [1, 16]
const ETCD = '/usr/bin/etcd'

interface Conn {
  base: string
  agent: Agent
  ca: string
  cert: string
  key: string
}

function call(c: Conn, method: string, path: string, body?: unknown): Promise<{ code: number; text: string }> {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : JSON.stringify(body)
    const req = request(
      c.base + path,
      { method, agent: c.agent, ca: c.ca, cert: c.cert, key: c.key, headers: { Accept: 'application/json', ...(data ? { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(data) } : {}) } },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (d: Buffer) => chunks.push(d))
        res.on('end', () => resolve({ code: res.statusCode ?? 0, text: Buffer.concat(chunks).toString() }))
      },
    )
    req.on('error', reject)
    req.end(data)
  })
}

async function run(concurrency: number, total: number, op: (i: number) => Promise<void>): Promise<Summary> {
  const lat: number[] = []
  let next = 0
  const start = nowMs()
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (;;) {
        const i = next++
        if (i >= total) return
        const t0 = nowMs()
        await op(i)
        lat.push(nowMs() - t0)
      }
    }),
  )
  return summarize(lat, nowMs() - start)
}

function must(r: { code: number; text: string }, ok: number[]): void {
  if (!ok.includes(r.code)) throw new Error(`unexpected ${r.code}: ${r.text.slice(0, 300)}`)
}

function waitExit(p: ChildProcess): Promise<void> {
  if (p.exitCode !== null || p.signalCode !== null) return Promise.resolve()
  const done = new Promise<void>((r) => p.once('exit', () => r()))
  p.kill('SIGTERM')
  return done
}

async function startEtcd(dir: string): Promise<{ args: string[]; proc: ChildProcess }> {
  const pki = ensureEtcdPki(join(dir, 'pki'), 'bench', ['127.0.0.1'])
  const [client, peer] = [await freePort(), await freePort()]
  const proc = spawn(ETCD, etcdMemberArgs({ name: 'bench', dataDir: join(dir, 'etcd'), ip: '127.0.0.1', clientPort: client, peerPort: peer, pki }), { stdio: 'ignore' })
  return { proc, args: ['--store', 'etcd', '--etcd-servers', `https://127.0.0.1:${client}`, '--etcd-cafile', pki.caFile, '--etcd-certfile', pki.clientCert, '--etcd-keyfile', pki.clientKey, '--etcd-compaction-interval', '0'] }
}

async function apiserver(dir: string, extra: string[]): Promise<{ c: Conn; proc: ChildProcess }> {
  const port = await freePort()
  const kubeconfig = join(dir, 'admin.kubeconfig')
  const proc = spawn(process.execPath, [join(ROOT, 'bin/kubelab-node.mjs'), 'apiserver', '--data-dir', join(dir, 'data'), '--secure-port', String(port), '--admin-kubeconfig', kubeconfig, ...extra], { stdio: ['ignore', 'pipe', 'inherit'] })
  await new Promise<void>((resolve, reject) => {
    let out = ''
    proc.stdout!.on('data', (d: Buffer) => {
      out += d.toString()
      if (out.includes('admin kubeconfig written')) resolve()
    })
    proc.on('exit', (code) => reject(new Error(`apiserver exited with ${code}: ${out}`)))
  })
  const kc = parse(readFileSync(kubeconfig, 'utf8'))
  const b64 = (s: string) => Buffer.from(s, 'base64').toString()
  const c: Conn = {
    base: `https://127.0.0.1:${port}`,
    agent: new Agent({ keepAlive: true, maxSockets: 64 }),
    ca: b64(kc.clusters[0].cluster['certificate-authority-data']),
    cert: b64(kc.users[0].user['client-certificate-data']),
    key: b64(kc.users[0].user['client-key-data']),
  }
  return { c, proc }
}

async function writes(c: Conn, tag: string): Promise<Record<string, Summary>> {
  const out: Record<string, Summary> = {}
  for (const clients of CLIENTS) {
    const ns = '/api/v1/namespaces/default/configmaps'
    const rv: string[] = []
    out[`create/${clients}`] = await run(clients, N, async (i) => {
      const r = await call(c, 'POST', ns, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `${tag}-${clients}-${i}` }, data: { i: String(i), pad: 'x'.repeat(400) } })
      must(r, [201])
      rv[i] = (JSON.parse(r.text) as { metadata: { resourceVersion: string } }).metadata.resourceVersion
    })
    out[`update/${clients}`] = await run(clients, N, async (i) => {
      const r = await call(c, 'PUT', `${ns}/${tag}-${clients}-${i}`, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `${tag}-${clients}-${i}`, resourceVersion: rv[i] }, data: { i: String(i + 1) } })
      must(r, [200])
    })
  }
  return out
}

async function main(): Promise<void> {
  const results: Record<string, Record<string, Summary>> = {}
  const notes: string[] = []
  const dirE = mkdtempSync(join(tmpdir(), 'kubelab-bench-ha-e-'))
  try {
    const e = await apiserver(dirE, [])
    console.error('embedded store ...')
    try {
      results.embedded = await writes(e.c, 'e')
    } finally {
      await waitExit(e.proc)
    }
  } finally {
    rmSync(dirE, { recursive: true, force: true })
  }
  if (!existsSync(ETCD)) {
    notes.push(`etcd not benchmarked: ${ETCD} is missing (install Debian etcd-server)`)
  } else {
    const dirX = mkdtempSync(join(tmpdir(), 'kubelab-bench-ha-x-'))
    const etcd = await startEtcd(dirX)
    try {
      const x = await apiserver(dirX, etcd.args)
      console.error('etcd ...')
      try {
        results.etcd = await writes(x.c, 'x')
      } finally {
        await waitExit(x.proc)
      }
    } finally {
      await waitExit(etcd.proc)
      rmSync(dirX, { recursive: true, force: true })
    }
  }
  const rows: (string | number)[][] = []
  for (const key of Object.keys(results.embedded)) {
    const [op, clients] = key.split('/')
    const e = results.embedded[key]
    const x = results.etcd?.[key]
    rows.push([op!, clients!, e.opsPerSec, e.p50, e.p99, x?.opsPerSec ?? NaN, x?.p50 ?? NaN, x?.p99 ?? NaN])
  }
  console.log(`\nAPI writes through HTTPS, ${N} per phase (latencies in ms)\n`)
  console.log(formatTable(['write', 'clients', 'embedded ops/s', 'p50', 'p99', 'etcd ops/s', 'p50', 'p99'], rows))
  notes.push('failover (control-plane loss → kubectl answers, → new lease holders) not measured: --control-planes 3 is not implemented yet')
  for (const n of notes) console.log(`\n${n}`)
  const file = await writeResults('ha', { opsPerPhase: N, clients: CLIENTS, notes, backends: results })
  console.log(`\nresults written to ${file}`)
}

await main()
