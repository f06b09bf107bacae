// API server benchmark: create/update/get/list/watch through HTTPS against `kubelab-node
// apiserver` running as its own process (so client and server do not share an event loop),
// with the embedded store fsyncing every acknowledged write.
// Run: node --import tsx bench/api.bench.ts
// (BENCH_SERVER_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" profiles the API server process.)
import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { Agent, request } from 'node:https'
import { join } from 'node:path'
import { gunzipSync } from 'node:zlib'
import { parse } from 'yaml'
import { nowMs, summarize, type Summary } from './lib/stats'
import { formatTable } from './lib/table'
import { writeResults } from './lib/results'
import { freePort } from '../src-cluster/util/net'
import { startTestEtcd } from '../test/helpers/etcd'
import { atCleanup, benchTempDir, killOnSignal, removeTempDir } from './lib/cleanup'

const ROOT = new URL('..', import.meta.url).pathname
const N = Number(process.env.BENCH_OPS ?? 2000)

interface Conn {
  base: string
  agent: Agent
  ca: string
  cert: string
  key: string
}

function call(
  c: Conn,
  method: string,
  path: string,
  body?: unknown,
  contentType = 'application/json',
  extraHeaders: Record<string, string> = {},
): Promise<{ code: number; text: string }> {
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
        headers: {
          Accept: 'application/json',
          ...(data ? { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(data) } : {}),
          ...extraHeaders,
        },
      },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (d: Buffer) => chunks.push(d))
        res.on('end', () => {
          const raw = Buffer.concat(chunks)
          // Go's transport asks for gzip and unpacks it; so does this client when it asked.
          resolve({ code: res.statusCode ?? 0, text: (res.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw).toString() })
        })
      },
    )
    req.on('error', reject)
    req.end(data)
  })
}

/** The API server process, whose CPU time each row also reports (wall times swing with the machine's load; CPU per op less). */
let serverPid = 0

/** CPU time (user + system) a process has used, in ms (Linux /proc). */
function cpuMsOf(pid: number): number {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
    return ((Number(f[11]) + Number(f[12])) * 1000) / 100
  } catch {
    return NaN
  }
}

type Row = Summary & { serverCpuMsPerOp: number }

async function run(concurrency: number, total: number, op: (i: number) => Promise<void>): Promise<Row> {
  const cpu0 = cpuMsOf(serverPid)
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
  return { ...summarize(lat, nowMs() - start), serverCpuMsPerOp: Math.round(((cpuMsOf(serverPid) - cpu0) / total) * 100) / 100 }
}

function must(r: { code: number; text: string }, ok: number[]): void {
  if (!ok.includes(r.code)) throw new Error(`unexpected ${r.code}: ${r.text.slice(0, 300)}`)
}

async function main(): Promise<void> {
  const dir = benchTempDir('kubelab-bench-api-')
  // BENCH_STORE=etcd: the API server on a TLS etcd (Debian's etcd-server) instead of the embedded store.
  const etcd = process.env.BENCH_STORE === 'etcd' ? await startTestEtcd({ tls: true }) : undefined
  const etcdFlags = etcd
    ? [
        '--store',
        'etcd',
        '--etcd-servers',
        etcd.endpoint,
        '--etcd-cafile',
        etcd.pki!.caFile,
        '--etcd-certfile',
        etcd.pki!.clientCert,
        '--etcd-keyfile',
        etcd.pki!.clientKey,
        '--etcd-compaction-interval',
        '0',
      ]
    : []
  const stopEtcd = atCleanup(async () => await etcd?.stop())
  const port = await freePort()
  const kubeconfig = join(dir, 'admin.kubeconfig')
  const child = spawn(
    process.execPath,
    [
      ...(process.env.BENCH_SERVER_NODE_ARGS ?? '').split(' ').filter(Boolean),
      join(ROOT, 'bin/kubelab-node.mjs'),
      'apiserver',
      '--data-dir',
      join(dir, 'data'),
      '--secure-port',
      String(port),
      '--admin-kubeconfig',
      kubeconfig,
      ...etcdFlags,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  )
  killOnSignal(child)
  serverPid = child.pid ?? 0
  await new Promise<void>((resolve, reject) => {
    let out = ''
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString()
      if (out.includes('admin kubeconfig written')) resolve()
    })
    child.on('exit', (code) => reject(new Error(`apiserver exited with ${code}`)))
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
  const ns = '/api/v1/namespaces/default/configmaps'
  const rows: { op: string; clients: number; s: Row }[] = []
  try {
    for (const clients of [1, 16]) {
      const p = `c${clients}-`
      rows.push({
        op: 'create',
        clients,
        s: await run(clients, N, async (i) => must(await call(c, 'POST', ns, { metadata: { name: `${p}${i}` }, data: { i: String(i) } }), [201])),
      })
      rows.push({
        op: 'update (merge patch)',
        clients,
        s: await run(clients, N, async (i) => must(await call(c, 'PATCH', `${ns}/${p}${i}`, { data: { i: `u${i}` } }, 'application/merge-patch+json'), [200])),
      })
      rows.push({ op: 'get', clients, s: await run(clients, N, async (i) => must(await call(c, 'GET', `${ns}/${p}${i}`), [200])) })
    }
    // List of the whole namespace (~2N objects), as `kubectl get cm` and informers do.
    const listN = Math.max(20, Math.floor(N / 50))
    rows.push({ op: `list (${2 * N} objects)`, clients: 4, s: await run(4, listN, async () => must(await call(c, 'GET', ns), [200])) })
    rows.push({ op: `list (${2 * N} objects)`, clients: 1, s: await run(1, listN, async () => must(await call(c, 'GET', ns), [200])) })
    // The same list when an object of the collection changed just before (nothing kept from the last list applies).
    {
      const cpu0 = cpuMsOf(serverPid)
      const lat: number[] = []
      const start = nowMs()
      for (let i = 0; i < listN; i++) {
        must(await call(c, 'PATCH', `${ns}/c1-${i}`, { data: { i: `l${i}` } }, 'application/merge-patch+json'), [200])
        const t0 = nowMs()
        must(await call(c, 'GET', ns), [200])
        lat.push(nowMs() - t0)
      }
      const sum = summarize(lat, nowMs() - start)
      rows.push({
        op: `list (${2 * N} objects) after a change to one`,
        clients: 1,
        s: { ...sum, serverCpuMsPerOp: Math.round(((cpuMsOf(serverPid) - cpu0) / listN) * 100) / 100 },
      })
    }
    // As client-go's informers ask (Go's transport adds Accept-Encoding: gzip; answers past 128 KiB are compressed).
    const gzip = { 'Accept-Encoding': 'gzip' }
    rows.push({
      op: `list (${2 * N} objects, gzip)`,
      clients: 4,
      s: await run(4, listN, async () => must(await call(c, 'GET', ns, undefined, undefined, gzip), [200])),
    })
    // As `kubectl get cm` asks: a Table, gzip.
    const table = { ...gzip, Accept: 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json' }
    rows.push({
      op: `list (${2 * N} objects) as kubectl get (Table, gzip)`,
      clients: 4,
      s: await run(4, listN, async () => must(await call(c, 'GET', ns, undefined, undefined, table), [200])),
    })

    // Watch fan-out: W watchers each receive every one of M events.
    const W = 50
    const M = Math.min(1000, N)
    let received = 0
    const target = W * M
    const reqs: { destroy(): void }[] = []
    const listRv = JSON.parse((await call(c, 'GET', `${ns}?limit=1`)).text).metadata.resourceVersion as string
    const allIn = new Promise<void>((resolve) => {
      for (let w = 0; w < W; w++) {
        const r = request(
          `${c.base}${ns}?watch=true&resourceVersion=${listRv}&labelSelector=bench%3Dwatch`,
          { agent: new Agent({ keepAlive: false }), ca: c.ca, cert: c.cert, key: c.key },
          (res) => {
            let buf = ''
            res.on('data', (d: Buffer) => {
              buf += d.toString()
              let i: number
              while ((i = buf.indexOf('\n')) >= 0) {
                buf = buf.slice(i + 1)
                if (++received >= target) resolve()
              }
            })
          },
        )
        r.end()
        reqs.push(r)
      }
    })
    await new Promise((r) => setTimeout(r, 500))
    const t0 = nowMs()
    await run(16, M, async (i) => must(await call(c, 'POST', ns, { metadata: { name: `w-${i}`, labels: { bench: 'watch' } } }), [201]))
    await allIn
    const wall = nowMs() - t0
    for (const r of reqs) r.destroy()
    rows.push({
      op: `watch fan-out (${W} watchers × ${M} events)`,
      clients: W,
      s: { ops: target, seconds: wall / 1000, opsPerSec: Math.round(target / (wall / 1000)), p50: NaN, p99: NaN, serverCpuMsPerOp: NaN },
    })

    console.log(`\nAPI server (HTTPS, client certs, ${etcd ? 'etcd' : 'embedded store with fsync per write'}), ${N} ops per row\n`)
    console.log(
      formatTable(
        ['operation', 'clients', 'ops/s', 'p50 ms', 'p99 ms', 'server CPU ms/op'],
        rows.map((r) => [r.op, r.clients, r.s.opsPerSec, r.s.p50, r.s.p99, r.s.serverCpuMsPerOp]),
      ),
    )
    const file = await writeResults(etcd ? 'api-etcd' : 'api', rows)
    console.log(`\nresults: ${file}`)
  } finally {
    child.kill('SIGTERM')
    await new Promise((r) => child.once('exit', r))
    await stopEtcd()
    removeTempDir(dir)
  }
}

main().catch((e: unknown) => {
  console.error(e)
  process.exit(1)
})
