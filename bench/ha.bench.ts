// HA benchmark: API writes (ConfigMap create and update through HTTPS) against `kubelab-node
// apiserver` as its own process, once on the embedded store and once on a real etcd (Debian
// etcd-server, TLS with client certificates, as `kubelab create --store etcd` runs it), in the
// same run, 1 and 16 concurrent clients. Then failover on a real `kubelab create --provider local
// --control-planes 3 --workers 0` cluster (root, containerd and etcd on the host; it takes the
// e2e lock /tmp/kubelab-e2e.lock while the cluster exists): `kubelab node stop` of the node holding
// the controller manager's lease, then the time until the API answers through the kubeconfig's
// endpoint (GET /readyz and a ConfigMap create, polled every 100 ms), and until both leases
// (kube-scheduler, kube-controller-manager) are held on live nodes; the node is started again
// between rounds (BENCH_HA_ROUNDS, default 2; BENCH_HA_FAILOVER=0 skips it).
// Run: node --import tsx bench/ha.bench.ts
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, readFileSync, rmSync } from 'node:fs'
import { Agent, request } from 'node:https'
import { join } from 'node:path'
import { parse } from 'yaml'
import { nowMs, summarize, type Summary } from './lib/stats'
import { formatTable } from './lib/table'
import { writeResults } from './lib/results'
import { freePort } from '../src-cluster/util/net'
import { ensureEtcdPki, etcdMemberArgs } from '../src-cluster/store/etcd-member'
import { kubelabCli } from '../test/helpers/cli'
import { atCleanup, benchTempDir, killOnSignal, removeTempDir } from './lib/cleanup'

const ROOT = new URL('..', import.meta.url).pathname
const N = Number(process.env.BENCH_OPS ?? 1500)
const CLIENTS = [1, 16]
const ETCD = '/usr/bin/etcd'
const ROUNDS = Number(process.env.BENCH_HA_ROUNDS ?? 2)

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
      {
        method,
        agent: c.agent,
        ca: c.ca,
        cert: c.cert,
        key: c.key,
        headers: { Accept: 'application/json', ...(data ? { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(data) } : {}) },
      },
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
  const proc = spawn(ETCD, etcdMemberArgs({ name: 'bench', dataDir: join(dir, 'etcd'), ip: '127.0.0.1', clientPort: client, peerPort: peer, pki }), {
    stdio: 'ignore',
  })
  killOnSignal(proc)
  return {
    proc,
    args: [
      '--store',
      'etcd',
      '--etcd-servers',
      `https://127.0.0.1:${client}`,
      '--etcd-cafile',
      pki.caFile,
      '--etcd-certfile',
      pki.clientCert,
      '--etcd-keyfile',
      pki.clientKey,
      '--etcd-compaction-interval',
      '0',
    ],
  }
}

async function apiserver(dir: string, extra: string[]): Promise<{ c: Conn; proc: ChildProcess }> {
  const port = await freePort()
  const kubeconfig = join(dir, 'admin.kubeconfig')
  const proc = spawn(
    process.execPath,
    [
      join(ROOT, 'bin/kubelab-node.mjs'),
      'apiserver',
      '--data-dir',
      join(dir, 'data'),
      '--secure-port',
      String(port),
      '--admin-kubeconfig',
      kubeconfig,
      ...extra,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  )
  killOnSignal(proc)
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
      const r = await call(c, 'POST', ns, {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: `${tag}-${clients}-${i}` },
        data: { i: String(i), pad: 'x'.repeat(400) },
      })
      must(r, [201])
      rv[i] = (JSON.parse(r.text) as { metadata: { resourceVersion: string } }).metadata.resourceVersion
    })
    out[`update/${clients}`] = await run(clients, N, async (i) => {
      const r = await call(c, 'PUT', `${ns}/${tag}-${clients}-${i}`, {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: `${tag}-${clients}-${i}`, resourceVersion: rv[i] },
        data: { i: String(i + 1) },
      })
      must(r, [200])
    })
  }
  return out
}

interface Failover {
  victim: string
  stopMs: number
  apiMs: number
  writeMs: number
  leasesMs: number
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

function connFromKubeconfig(file: string): Conn {
  const kc = parse(readFileSync(file, 'utf8'))
  const b64 = (s: string) => Buffer.from(s, 'base64').toString()
  // A fresh connection per request (keepAlive off): a client kept on a stopped API server's
  // socket would measure the socket, not the endpoint.
  return {
    base: kc.clusters[0].cluster.server,
    agent: new Agent({ keepAlive: false }),
    ca: b64(kc.clusters[0].cluster['certificate-authority-data']),
    cert: b64(kc.users[0].user['client-certificate-data']),
    key: b64(kc.users[0].user['client-key-data']),
  }
}

/** Resolves with the time `ok` first holds, polling every `everyMs`; rejects after `ms`. */
async function firstTime(t0: number, ms: number, everyMs: number, ok: () => Promise<boolean>): Promise<number> {
  for (;;) {
    const ok1 = await Promise.race([ok().catch(() => false), sleep(2000).then(() => false)])
    if (ok1) return nowMs() - t0
    if (nowMs() - t0 > ms) throw new Error(`not within ${ms} ms`)
    await sleep(everyMs)
  }
}

async function holders(c: Conn): Promise<string[]> {
  const out: string[] = []
  for (const n of ['kube-scheduler', 'kube-controller-manager']) {
    const r = await call(c, 'GET', `/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/${n}`)
    must(r, [200])
    const id = (JSON.parse(r.text) as { spec?: { holderIdentity?: string } }).spec?.holderIdentity ?? ''
    out.push(id.slice(0, id.lastIndexOf('_')))
  }
  return out
}

/** Failover rounds on a local 3-control-plane cluster; undefined (with a note) when it cannot run here. */
async function failover(notes: string[]): Promise<Failover[] | undefined> {
  if (process.env.BENCH_HA_FAILOVER === '0') return void notes.push('failover skipped (BENCH_HA_FAILOVER=0)')
  if (process.getuid?.() !== 0 || !existsSync(ETCD) || !existsSync('/usr/bin/containerd'))
    return void notes.push('failover not measured: needs root, containerd and etcd on the host (the local provider)')
  const home = benchTempDir('/tmp/kl-bench-ha-')
  const env = { ...process.env, KUBELAB_HOME: home }
  const kubelab = kubelabCli({ env, timeoutMs: 400_000 })
  // Hold the e2e lock while the cluster exists (e2e tests use the same host resources).
  // --no-fork: flock execs the holder itself, so killing it releases the lock (a forked child
  // would outlive flock and keep holding it); the holder reads its stdin, a pipe from this
  // process, so it also ends when this process dies however it dies.
  const lock = spawn('flock', ['--no-fork', '/tmp/kubelab-e2e.lock', 'sh', '-c', 'echo locked; exec cat > /dev/null'], { stdio: ['pipe', 'pipe', 'ignore'] })
  await new Promise<void>((resolve, reject) => {
    lock.stdout!.on('data', () => resolve())
    lock.on('exit', (code) => reject(new Error(`flock exited ${code}`)))
  })
  const out: Failover[] = []
  // Also on Ctrl-C: the cluster, the lock and the folder.
  const teardown = atCleanup(async () => {
    await kubelab('delete', 'bha').catch((e: unknown) => console.error(`delete failed: ${String(e)}`))
    lock.stdin!.end()
    lock.kill('SIGTERM')
    lock.stdout!.destroy()
    removeTempDir(home)
  })
  try {
    console.error('failover: creating a local cluster with 3 control planes ...')
    await kubelab('create', 'bha', '--provider', 'local', '--control-planes', '3', '--workers', '0', '--timeout', '300')
    const c = connFromKubeconfig(join(home, 'clusters', 'bha', 'kubeconfig'))
    for (let round = 0; round < ROUNDS; round++) {
      const t0Wait = nowMs()
      await firstTime(t0Wait, 120_000, 500, async () => (await holders(c)).every((h) => h.startsWith('control-plane')))
      const victim = (await holders(c))[1]!
      console.error(`failover round ${round + 1}: stopping ${victim} (holds kube-controller-manager) ...`)
      const t0 = nowMs()
      const stopping = kubelab('node', 'stop', 'bha', victim).then(() => nowMs() - t0)
      const apiMs = await firstTime(t0, 120_000, 100, async () => (await call(c, 'GET', '/readyz')).code === 200)
      const writeMs = await firstTime(
        t0,
        120_000,
        100,
        async () =>
          (await call(c, 'POST', '/api/v1/namespaces/default/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { generateName: 'failover-' } }))
            .code === 201,
      )
      const stopMs = await stopping
      const leasesMs = await firstTime(t0, 120_000, 200, async () => (await holders(c)).every((h) => h !== victim && h.startsWith('control-plane')))
      out.push({ victim, stopMs: Math.round(stopMs), apiMs: Math.round(apiMs), writeMs: Math.round(writeMs), leasesMs: Math.round(leasesMs) })
      await kubelab('node', 'start', 'bha', victim)
      // Until its API server is ready again behind the endpoint (the next victim may be another node).
      await sleep(5000)
    }
  } finally {
    await teardown()
  }
  return out
}

async function main(): Promise<void> {
  const results: Record<string, Record<string, Summary>> = {}
  const notes: string[] = []
  const dirE = benchTempDir('kubelab-bench-ha-e-')
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
    const dirX = benchTempDir('kubelab-bench-ha-x-')
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
  const fo = await failover(notes)
  if (fo?.length) {
    console.log("\nFailover: kubelab node stop of the controller manager's leader node, 3 control planes (ms from the stop command)\n")
    console.log(
      formatTable(
        ['round', 'stopped node', 'node stop took', 'API /readyz answers', 'first write', 'both leases on live nodes'],
        fo.map((f, i) => [String(i + 1), f.victim, f.stopMs, f.apiMs, f.writeMs, f.leasesMs]),
      ),
    )
  }
  for (const n of notes) console.log(`\n${n}`)
  const file = await writeResults('ha', { opsPerPhase: N, clients: CLIENTS, notes, backends: results, failover: fo })
  console.log(`\nresults written to ${file}`)
}

await main()
