// Local-provider create benchmark (root): time from `create` to all nodes Ready for a 1+N
// cluster, median of RUNS runs, split into where it goes: each provisioning step (slowest node
// per step), the end of provisioning, the API server answering, each node Ready. Every run
// deletes its cluster.
// Run: node --import tsx bench/local.bench.ts   (RUNS=3 WORKERS=2 TIMEOUT_S=180 CLUSTER=l5c)
import { ClusterManager } from '../src-main/clusters'
import { formatTable } from './lib/table'
import { writeResults } from './lib/results'
import { quantile, round } from './lib/stats'
import { atCleanup, benchTempDir, removeTempDir } from './lib/cleanup'

const RUNS = Number(process.env.RUNS ?? 3)
const WORKERS = Number(process.env.WORKERS ?? 2)
const TIMEOUT_S = Number(process.env.TIMEOUT_S ?? 180)

const median = (xs: number[]): number =>
  quantile(
    [...xs].sort((a, b) => a - b),
    0.5,
  )
const push = (m: Map<string, number[]>, k: string, v: number): void => {
  m.set(k, [...(m.get(k) ?? []), v])
}

/** Step name → slowest node's duration, per run. */
const perStep = new Map<string, number[]>()
/** Milestone → ms since create began, per run. */
const milestones = new Map<string, number[]>()
const totals: number[] = []
const failures: string[] = []
for (let i = 0; i < RUNS; i++) {
  const home = benchTempDir('/tmp/kl-bench-')
  let t0 = Date.now()
  let lastStepAt = 0
  let apiUpAt = 0
  const readyAt: number[] = []
  const m = new ClusterManager({
    env: { ...process.env, HOME: home, KUBELAB_HOME: undefined },
    onStepEvent: (e) => {
      if (e.status === 'done') lastStepAt = Date.now()
    },
    step: (phase) => {
      if (phase === 'nodes') apiUpAt = Date.now()
    },
    // "node NAME Ready (k/N)": the k-th node Ready, whichever it is.
    progress: (line) => {
      if (/ Ready \(\d+\/\d+\)$/.test(line)) readyAt.push(Date.now())
    },
  })
  // One fixed name (each run deletes its cluster): l5c is reserved for local benchmarks/tests.
  const name = process.env.CLUSTER ?? 'l5c'
  // The end of a run, and on Ctrl-C: the cluster deleted, the folder removed.
  const teardown = atCleanup(async () => {
    const d0 = Date.now()
    await m.delete(name).then(
      () => push(milestones, 'delete (s it took)', Date.now() - d0),
      (e: unknown) => failures.push(`delete ${name}: ${String(e)}`),
    )
    removeTempDir(home)
  })
  t0 = Date.now()
  try {
    await m.create(name, { provider: 'local', workers: WORKERS, timeoutMs: TIMEOUT_S * 1000 })
    const total = Date.now() - t0
    totals.push(total)
    push(milestones, 'provisioning done', lastStepAt - t0)
    push(milestones, 'API server answers', apiUpAt - t0)
    readyAt.forEach((t, k) => push(milestones, `node Ready ${k + 1}/${readyAt.length}`, t - t0))
    push(milestones, 'all nodes Ready (create returns)', total)
  } catch (e) {
    failures.push(`run ${i + 1}: ${(e as Error).message.split('\n')[0]}`)
  }
  const byStep = new Map<string, number>()
  for (const t of m.lastTimings) byStep.set(t.step, Math.max(byStep.get(t.step) ?? 0, t.ms))
  for (const [k, v] of byStep) push(perStep, k, v)
  await teardown()
}

const stepRows = [...perStep].map(([step, xs]) => [step, round(median(xs), 0)] as const)
const mileRows = [...milestones].map(([what, xs]) => [what, round(median(xs) / 1000, 2)] as const)
console.log(`local provider: create 1+${WORKERS} nodes, ${RUNS} runs`)
console.log('provisioning steps (slowest node per step, median ms; workers run in parallel):')
console.log(formatTable(['step', 'median ms'], stepRows))
console.log('milestones since create began (median s):')
console.log(formatTable(['milestone', 'median s'], mileRows))
console.log(
  totals.length
    ? `create → all nodes Ready: median ${round(median(totals) / 1000, 1)} s over ${totals.length} runs (min ${round(Math.min(...totals) / 1000, 1)} s, max ${round(Math.max(...totals) / 1000, 1)} s)`
    : 'no run reached all nodes Ready',
)
for (const f of failures) console.log(`FAILED ${f}`)
await writeResults('local', {
  workers: WORKERS,
  runs: RUNS,
  steps: Object.fromEntries(stepRows),
  milestonesS: Object.fromEntries(mileRows),
  allReadyMedianMs: totals.length ? median(totals) : null,
  totalsMs: totals,
  failures,
})
