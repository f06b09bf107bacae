// Scheduler benchmark: 1000 nodes and 10 000 pods created through the API server, then the
// scheduler started on the backlog; time until every pod is bound → pods/s. Also the pure
// in-memory decision rate (framework only, no API) on the same cluster shape, and a smaller
// run where the scheduler is already running while the pods are created.
// Run: node --import tsx bench/scheduler.bench.ts [--nodes N] [--pods N]
import { rm } from 'node:fs/promises'
import * as path from 'node:path'
import { parseArgs } from 'node:util'
import { startApiServer } from '../src-cluster/apiserver/server'
import { createClient, resourceRef, type Client } from '../src-cluster/client'
import { SchedulerCache } from '../src-cluster/scheduler/cache'
import { Framework } from '../src-cluster/scheduler/framework'
import { newPodInfo } from '../src-cluster/scheduler/pod-info'
import { DEFAULT_FILTERS, DEFAULT_SCORES } from '../src-cluster/scheduler/plugins'
import { startScheduler } from '../src-cluster/scheduler'
import { nowMs, round } from './lib/stats'
import { formatTable } from './lib/table'
import { writeResults } from './lib/results'
import type { NodeObj, PodObj } from '../src-cluster/kit/objects'
import { benchTempDir } from './lib/cleanup'

const { values } = parseArgs({ options: { nodes: { type: 'string', default: '1000' }, pods: { type: 'string', default: '10000' } } })
const NODES = Number(values.nodes)
const PODS = Number(values.pods)
const CONCURRENCY = 64

const PODS_RES = resourceRef('v1', 'pods')
const NODES_RES = resourceRef('v1', 'nodes')

function nodeObj(i: number): NodeObj {
  const name = `node-${String(i).padStart(4, '0')}`
  const alloc = { cpu: '32', memory: '64Gi', pods: '110', 'ephemeral-storage': '100Gi' }
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels: { 'kubernetes.io/hostname': name, 'topology.kubernetes.io/zone': `zone-${i % 3}` } },
    status: { capacity: alloc, allocatable: alloc, conditions: [{ type: 'Ready', status: 'True' }] },
  }
}

function podObj(prefix: string, i: number): PodObj {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: `${prefix}-${i}`, namespace: 'default', labels: { app: `app-${i % 100}` } },
    spec: { containers: [{ name: 'c', image: 'busybox', resources: { requests: { cpu: '100m', memory: '128Mi' } } }] },
  }
}

/** Run `fn` for 0..n-1 with at most CONCURRENCY in flight. */
async function pool(n: number, fn: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < n) await fn(next++)
    }),
  )
}

async function waitUntil(what: string, cond: () => boolean): Promise<void> {
  const started = Date.now()
  while (!cond()) {
    if (Date.now() - started > 30 * 60_000) throw new Error(`benchmark gave up waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

/** Framework decisions per second without the API: the algorithmic ceiling. */
function inMemory(nodes: number, pods: number): { decisions: number; seconds: number; perSec: number } {
  const cache = new SchedulerCache()
  for (let i = 0; i < nodes; i++) cache.setNode(nodeObj(i))
  const fw = new Framework({ filters: DEFAULT_FILTERS, scores: DEFAULT_SCORES })
  const t0 = nowMs()
  for (let i = 0; i < pods; i++) {
    const info = newPodInfo(podObj('mem', i))
    cache.assumePod(info, fw.schedule({ pod: info, cache }).node)
  }
  const s = (nowMs() - t0) / 1000
  return { decisions: pods, seconds: round(s, 3), perSec: round(pods / s, 1) }
}

async function endToEnd(
  client: Client,
  prefix: string,
  pods: number,
  mode: 'backlog' | 'streaming',
  start: () => Promise<{ scheduled: () => number; stop: () => Promise<void> }>,
) {
  let sched: { scheduled: () => number; stop: () => Promise<void> } | undefined
  if (mode === 'streaming') sched = await start()
  const tCreate = nowMs()
  await pool(pods, (i) => client.create(PODS_RES, 'default', podObj(prefix, i)))
  const createS = (nowMs() - tCreate) / 1000
  const t0 = mode === 'backlog' ? nowMs() : tCreate
  if (!sched) sched = await start()
  const s = sched
  await waitUntil(`${pods} pods bound`, () => s.scheduled() >= pods)
  const seconds = (nowMs() - t0) / 1000
  await s.stop()
  return { mode, pods, createSeconds: round(createS, 2), seconds: round(seconds, 2), podsPerSec: round(pods / seconds, 1) }
}

async function main(): Promise<void> {
  const dir = benchTempDir('kubelab-bench-sched-')
  // No controller manager makes the namespace's `default` ServiceAccount: its admission is off,
  // as in upstream's scheduler_perf (and test/helpers/apiserver.ts).
  const server = await startApiServer({ dataDir: path.join(dir, 'data'), securePort: 0, log: () => {}, disableAdmissionPlugins: ['ServiceAccount'] })
  const client = createClient({ server: server.url, caPem: server.pki.ca.certPem, certPem: server.admin.certPem, keyPem: server.admin.keyPem })
  try {
    console.log(`in-memory: ${NODES} nodes, ${PODS} decisions ...`)
    const mem = inMemory(NODES, PODS)
    console.log(`creating ${NODES} nodes ...`)
    const tn = nowMs()
    await pool(NODES, (i) => client.create(NODES_RES, undefined, nodeObj(i)))
    const nodeSeconds = (nowMs() - tn) / 1000
    const start = async () => {
      const s = await startScheduler({ client, log: () => {} })
      return { scheduled: () => s.stats().scheduled, stop: () => s.stop() }
    }
    console.log(`backlog: creating ${PODS} pods, then starting the scheduler ...`)
    const backlog = await endToEnd(client, 'backlog', PODS, 'backlog', start)
    const streamingPods = Math.min(2000, Math.floor(PODS / 5))
    console.log(`streaming: scheduler running while ${streamingPods} more pods are created ...`)
    const streaming = await endToEnd(client, 'stream', streamingPods, 'streaming', start)
    const rss = Math.round(process.memoryUsage().rss / 2 ** 20)

    console.log()
    console.log(
      formatTable(
        ['phase', 'nodes', 'pods', 'create s', 'until all bound s', 'pods/s'],
        [
          ['framework only (no API)', NODES, mem.decisions, '-', mem.seconds, mem.perSec],
          ['backlog → all bound', NODES, backlog.pods, backlog.createSeconds, backlog.seconds, backlog.podsPerSec],
          ['created while running', NODES, streaming.pods, streaming.createSeconds, streaming.seconds, streaming.podsPerSec],
        ],
      ),
    )
    console.log(`\n${NODES} nodes created in ${round(nodeSeconds, 2)} s; process RSS (API server + scheduler) ${rss} MiB`)
    const file = await writeResults('scheduler', {
      nodes: NODES,
      pods: PODS,
      inMemory: mem,
      backlog,
      streaming,
      nodeCreateSeconds: round(nodeSeconds, 2),
      rssMiB: rss,
    })
    console.log(`results: ${file}`)
  } finally {
    client.close()
    await server.close()
    await rm(dir, { recursive: true, force: true })
  }
}

main().catch((e: unknown) => {
  console.error(`scheduler benchmark failed: ${(e as Error).stack ?? String(e)}`)
  process.exit(1)
})
