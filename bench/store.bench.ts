// Store benchmark: the embedded store (fsync per acknowledged write, group commit) against a
// real etcd (Debian etcd-server, also fsyncing every write) on the same disk, with 1 and 16
// concurrent clients. Run: node --import tsx bench/store.bench.ts
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { rm } from 'node:fs/promises'
import * as path from 'node:path'
import { Etcd3 } from 'etcd3'
import { openStore, type EmbeddedStore } from '../src-cluster/store'
import { nowMs, round, summarize, type Summary } from './lib/stats'
import { formatTable } from './lib/table'
import { writeResults } from './lib/results'
import { freePort } from '../src-cluster/util/net'
import { benchTempDir, killOnSignal } from './lib/cleanup'

const ETCD = '/usr/bin/etcd'
const CLIENTS = [1, 16]
/** Each phase stops at whichever comes first. */
const MAX_OPS = 4000
const MAX_MS = 2500
const WATCH_EVENTS = 2000
const VALUE = JSON.stringify({
  kind: 'Pod',
  apiVersion: 'v1',
  metadata: { name: 'x', namespace: 'default', labels: { app: 'bench' } },
  spec: { containers: [{ name: 'c', image: 'busybox' }] },
  pad: 'x'.repeat(600),
})

/** The few operations the workload needs, implemented for each backend. */
interface Backend {
  readonly name: string
  create(key: string, value: string): Promise<number>
  update(key: string, value: string, modRevision: number): Promise<number>
  get(key: string): Promise<void>
  list(prefix: string, limit: number): Promise<void>
  watch(prefix: string, onKey: (key: string) => void): Promise<() => void>
  close(): Promise<void>
}

function embeddedBackend(store: EmbeddedStore, dir: string): Backend {
  return {
    name: 'embedded',
    async create(key, value) {
      const r = await store.txn([{ key, target: 'modRevision', equals: 0 }], [{ type: 'put', key, value }])
      if (!r.succeeded) throw new Error(`create ${key} conflicted`)
      return r.revision
    },
    async update(key, value, modRevision) {
      const r = await store.txn([{ key, target: 'modRevision', equals: modRevision }], [{ type: 'put', key, value }])
      if (!r.succeeded) throw new Error(`update ${key} conflicted`)
      return r.revision
    },
    async get(key) {
      if ((await store.get(key)) === undefined) throw new Error(`get ${key}: missing`)
    },
    async list(prefix, limit) {
      await store.range(prefix, { limit })
    },
    async watch(prefix, onKey) {
      const w = store.watch(
        prefix,
        { afterRevision: store.revision() },
        (events) => {
          for (const e of events) onKey(e.kv.key)
        },
        (err) => console.error(`embedded watch failed: ${err.message}`),
      )
      return () => w.cancel()
    },
    async close() {
      await store.close()
      await rm(dir, { recursive: true, force: true })
    },
  }
}

async function startEtcd(): Promise<{ backend: Backend } | { missing: string }> {
  if (!existsSync(ETCD)) return { missing: `${ETCD} not found (install Debian package etcd-server)` }
  const dir = benchTempDir('kubelab-bench-etcd-')
  const [client, peer] = [await freePort(), await freePort()]
  const proc: ChildProcess = spawn(
    ETCD,
    [
      '--name',
      'bench',
      '--data-dir',
      dir,
      '--listen-client-urls',
      `http://127.0.0.1:${client}`,
      '--advertise-client-urls',
      `http://127.0.0.1:${client}`,
      '--listen-peer-urls',
      `http://127.0.0.1:${peer}`,
      '--initial-advertise-peer-urls',
      `http://127.0.0.1:${peer}`,
      '--initial-cluster',
      `bench=http://127.0.0.1:${peer}`,
      '--log-level',
      'error',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  )
  killOnSignal(proc)
  let stderr = ''
  proc.stderr?.on('data', (c: Buffer) => (stderr += c.toString()))
  const etcd = new Etcd3({ hosts: `http://127.0.0.1:${client}` })
  const stop = async () => {
    etcd.close()
    if (proc.exitCode === null) {
      const exited = new Promise((r) => proc.once('exit', r))
      proc.kill('SIGTERM')
      await exited
    }
    await rm(dir, { recursive: true, force: true })
  }
  const deadline = Date.now() + 15_000
  for (;;) {
    try {
      await etcd.get('/health-probe').string()
      break
    } catch (err) {
      if (Date.now() > deadline || proc.exitCode !== null) {
        await stop()
        return { missing: `etcd did not start: ${(err as Error).message} ${stderr.slice(-500)}` }
      }
      await new Promise((r) => setTimeout(r, 100))
    }
  }
  const rev = (h: { header?: { revision?: string | number | null } | null }) => Number(h.header?.revision ?? 0)
  return {
    backend: {
      name: 'etcd',
      async create(key, value) {
        const r = await etcd.if(key, 'Create', '==', 0).then(etcd.put(key).value(value)).commit()
        if (!r.succeeded) throw new Error(`create ${key} conflicted`)
        return rev(r)
      },
      async update(key, value, modRevision) {
        const r = await etcd.if(key, 'Mod', '==', modRevision).then(etcd.put(key).value(value)).commit()
        if (!r.succeeded) throw new Error(`update ${key} conflicted`)
        return rev(r)
      },
      async get(key) {
        const r = await etcd.get(key).exec()
        if (r.kvs.length === 0) throw new Error(`get ${key}: missing`)
      },
      async list(prefix, limit) {
        await etcd.getAll().prefix(prefix).limit(limit).exec()
      },
      async watch(prefix, onKey) {
        const w = await etcd.watch().prefix(prefix).create()
        w.on('put', (kv) => onKey(kv.key.toString()))
        return () => void w.cancel()
      },
      close: stop,
    },
  }
}

/** Run `op(i)` from `clients` concurrent loops until MAX_OPS or MAX_MS; latency per op. */
async function phase(clients: number, maxOps: number, op: (i: number) => Promise<void>): Promise<Summary> {
  const lat: number[] = []
  let next = 0
  const start = nowMs()
  const deadline = start + MAX_MS
  await Promise.all(
    Array.from({ length: clients }, async () => {
      for (;;) {
        const i = next++
        if (i >= maxOps || nowMs() > deadline) return
        const t0 = nowMs()
        await op(i)
        lat.push(nowMs() - t0)
      }
    }),
  )
  return summarize(lat, nowMs() - start)
}

/** Watch throughput: events/s from the first write until the last event, latency write→event. */
async function watchPhase(b: Backend, clients: number, prefix: string): Promise<Summary> {
  const started = new Map<string, number>()
  const lat: number[] = []
  let done: () => void = () => undefined
  const all = new Promise<void>((r) => (done = r))
  const cancel = await b.watch(prefix, (key) => {
    const t = started.get(key)
    if (t === undefined) return
    lat.push(nowMs() - t)
    if (lat.length === WATCH_EVENTS) done()
  })
  const start = nowMs()
  let next = 0
  await Promise.all(
    Array.from({ length: clients }, async () => {
      for (;;) {
        const i = next++
        if (i >= WATCH_EVENTS) return
        const key = `${prefix}${i}`
        started.set(key, nowMs())
        await b.create(key, VALUE)
      }
    }),
  )
  const timeout = new Promise<void>((r) => setTimeout(r, 20_000))
  await Promise.race([all, timeout])
  cancel()
  return summarize(lat, nowMs() - start)
}

type Workload = 'create' | 'update' | 'get' | 'list(limit 100)' | 'watch'
type Results = Record<string, Record<number, Record<Workload, Summary>>>

async function runBackend(b: Backend): Promise<Record<number, Record<Workload, Summary>>> {
  const out: Record<number, Record<Workload, Summary>> = {}
  for (const clients of CLIENTS) {
    const prefix = `/bench/c${clients}/`
    const revs: number[] = []
    const create = await phase(clients, MAX_OPS, async (i) => {
      revs[i] = await b.create(`${prefix}k${i}`, VALUE)
    })
    const created = create.ops
    const update = await phase(clients, created, async (i) => {
      revs[i] = await b.update(`${prefix}k${i}`, VALUE + i, revs[i])
    })
    const get = await phase(clients, MAX_OPS * 2, (i) => b.get(`${prefix}k${(i * 7919) % created}`))
    const list = await phase(clients, MAX_OPS, () => b.list(prefix, 100))
    const watch = await watchPhase(b, clients, `/bench/w${clients}/`)
    out[clients] = { create, update, get, 'list(limit 100)': list, watch }
    console.error(`  ${b.name}, ${clients} client(s): done`)
  }
  return out
}

async function main(): Promise<void> {
  const results: Results = {}
  const notes: string[] = []

  const dir = benchTempDir('kubelab-bench-store-')
  const embedded = embeddedBackend(await openStore({ dataDir: dir, onWarning: () => undefined }), dir)
  console.error('benchmarking the embedded store ...')
  try {
    results.embedded = await runBackend(embedded)
  } finally {
    await embedded.close()
  }

  const etcd = await startEtcd()
  if ('missing' in etcd) {
    notes.push(`etcd not benchmarked: ${etcd.missing}`)
    console.error(`NOTE: ${notes[0]}`)
  } else {
    console.error('benchmarking etcd ...')
    try {
      results.etcd = await runBackend(etcd.backend)
    } finally {
      await etcd.backend.close()
    }
  }

  const rows: (string | number)[][] = []
  const workloads: Workload[] = ['create', 'update', 'get', 'list(limit 100)', 'watch']
  for (const clients of CLIENTS) {
    for (const w of workloads) {
      const e = results.embedded[clients][w]
      const x = results.etcd?.[clients]?.[w]
      rows.push([
        w,
        String(clients),
        e.opsPerSec,
        e.p50,
        e.p99,
        x?.opsPerSec ?? NaN,
        x?.p50 ?? NaN,
        x?.p99 ?? NaN,
        x ? round(e.opsPerSec / x.opsPerSec, 2) : NaN,
      ])
    }
  }
  console.log('\nStore benchmark (fsync per acknowledged write; latencies in ms; watch = events/s, latency write→event)\n')
  console.log(formatTable(['workload', 'clients', 'embedded ops/s', 'p50', 'p99', 'etcd ops/s', 'p50', 'p99', 'embedded/etcd'], rows))
  notes.push(
    'embedded runs in process; etcd is reached over gRPC on loopback, so its figures include client and network cost, as they would for an API server using it',
  )
  for (const n of notes) console.log(`\n${n}`)
  const file = await writeResults('store', {
    clients: CLIENTS,
    maxOpsPerPhase: MAX_OPS,
    maxMsPerPhase: MAX_MS,
    valueBytes: VALUE.length,
    notes,
    backends: results,
  })
  console.log(`\nresults written to ${path.relative(process.cwd(), file)}`)
}

await main()
