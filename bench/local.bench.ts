// Local-provider create benchmark (root): time from `create` to all nodes Ready for a 1+2
// cluster, split by provisioning step (start machine, certificates, bundle, wait for SSH,
// upload, install per node) plus the wait for Ready; median of RUNS runs. Every run deletes
// its cluster. Nodes become Ready only when this build has the kubelet component.
// Run: npx tsx bench/local.bench.ts   (RUNS=1 WORKERS=2 TIMEOUT_S=120)
import { mkdtempSync, rmSync } from 'node:fs'
import { ClusterManager } from '../src-main/backend/cluster-manager'
import { formatTable } from './lib/table'
import { writeResults } from './lib/results'
import { quantile, round } from './lib/stats'

const RUNS = Number(process.env.RUNS ?? 3)
const WORKERS = Number(process.env.WORKERS ?? 2)
const TIMEOUT_S = Number(process.env.TIMEOUT_S ?? 120)

const median = (xs: number[]): number => quantile([...xs].sort((a, b) => a - b), 0.5)

const perStep = new Map<string, number[]>()
const totals: number[] = []
const failures: string[] = []
for (let i = 0; i < RUNS; i++) {
  const home = mkdtempSync('/tmp/kl-bench-')
  const m = new ClusterManager({ env: { ...process.env, HOME: home, KUBELAB_HOME: undefined }, onStepEvent: () => {} })
  const name = `bench${i}`
  const t0 = Date.now()
  try {
    await m.create(name, { provider: 'local', workers: WORKERS, timeoutMs: TIMEOUT_S * 1000 })
    totals.push(Date.now() - t0)
  } catch (e) {
    failures.push(`run ${i + 1}: ${(e as Error).message.split('\n')[0]}`)
  }
  // Steps over all nodes: the sum says where the time goes, the max what the critical path saw.
  const byStep = new Map<string, number>()
  for (const t of m.lastTimings) byStep.set(t.step, Math.max(byStep.get(t.step) ?? 0, t.ms))
  const provisioned = m.lastTimings.reduce((a, t) => a + t.ms, 0)
  byStep.set('(ready wait = total - provisioning)', Math.max(0, Date.now() - t0 - provisioned))
  for (const [k, v] of byStep) perStep.set(k, [...(perStep.get(k) ?? []), v])
  await m.delete(name).catch((e: unknown) => failures.push(`delete ${name}: ${String(e)}`))
  rmSync(home, { recursive: true, force: true })
}

const rows = [...perStep].map(([step, xs]) => [step, round(median(xs), 0)] as const)
console.log(`local provider: create 1+${WORKERS} nodes, ${RUNS} runs (slowest node per step, median ms)`)
console.log(formatTable(['step', 'median ms'], rows))
console.log(totals.length ? `create → all nodes Ready: median ${round(median(totals) / 1000, 1)} s over ${totals.length} runs` : 'no run reached all nodes Ready')
for (const f of failures) console.log(`FAILED ${f}`)
await writeResults('local', { workers: WORKERS, runs: RUNS, steps: Object.fromEntries(rows), totalsMs: totals, failures })
