// The non-root path: labs on a simulated cluster (API only, hollow nodes). Every lab's needs are
// checked against it (a lab it cannot run must say why); a few API-only labs are proven start →
// check fails with a reason → solution → check passes, and the imported Killercoda fixture the
// same way. The whole catalogue is proven on a real local cluster by test/e2e/labs-local.test.ts,
// so this file proves only a sample, to keep CI time low.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { hostExecutor, importKillercoda, kubectlFor, LabRunner, loadCatalogue, ProgressStore, unmetNeeds, type LabCluster, type Lab } from '../../src-main/labs'
import { startTestCluster, type TestCluster } from '../helpers/cluster'

const labsRoot = join(import.meta.dirname, '..', '..', 'labs')
/** API-only labs proven here too: scheduling, workloads, batch and drain without containers. */
const SAMPLE = ['scale-deployment', 'node-labels', 'taints-tolerations', 'jobs-cronjobs', 'pdb-drain']
const entries = loadCatalogue([labsRoot])
let c: TestCluster
let cluster: LabCluster
let tmp: string

beforeAll(async () => {
  c = await startTestCluster({ nodes: 3 })
  tmp = mkdtempSync(join(tmpdir(), 'kubelab-labs-'))
  cluster = { name: 'labs-it', provider: 'simulated', kubectl: kubectlFor(c.kubeconfig), executor: hostExecutor(c.kubeconfig), progress: new ProgressStore(join(tmp, 'progress')) }
  await c.waitFor('3 Ready nodes', async () => (await c.k('get', 'nodes', '-o', 'jsonpath={.items[*].status.conditions[?(@.type=="Ready")].status}')).split(' ').filter((s) => s === 'True').length === 3)
}, 60_000)

afterAll(async () => {
  await c?.close()
  rmSync(tmp, { recursive: true, force: true })
})

async function prove(lab: Lab, learner: Record<number, string[]> = {}): Promise<void> {
  const runner = new LabRunner(cluster, lab)
  const started = await runner.start()
  expect(started.progress.step).toBe(1)
  for (const step of lab.steps) {
    const before = await runner.check()
    expect(before.outcome, `${lab.id} step ${step.number} passed before the solution`).toBe('failed')
    expect(before.reason, `${lab.id} step ${step.number} gave no reason`).toMatch(/\S/)
    if (step.solution) {
      const sol = await runner.solution({ run: true })
      expect(sol.result?.code, `${lab.id} step ${step.number} solution`).toBe(0)
    } else {
      for (const args of [learner[step.number] ?? []]) if (args.length) await c.k(...args)
    }
    const after = await runner.check()
    expect(after, `${lab.id} step ${step.number} after its solution: ${after.reason}`).toMatchObject({ outcome: 'passed', step: step.number })
  }
  expect(runner.progress().finishedAt).toBeDefined()
}

describe('labs on a simulated cluster', () => {
  it('loads every lab in labs/ without errors', () => {
    expect(entries.filter((e) => e.error).map((e) => e.error)).toEqual([])
    expect(entries.length).toBeGreaterThanOrEqual(15)
  })

  it('explains every lab it cannot run by a capability simulated clusters lack', async () => {
    const all = entries.flatMap((e) => (e.lab ? [e.lab] : []))
    // The facts are about the cluster, not the lab: read them once.
    const facts = await new LabRunner(cluster, all[0]!).facts()
    for (const lab of all) {
      const unmet = unmetNeeds(lab, facts)
      expect(unmet.every((u) => u.why.length > 0), lab.id).toBe(true)
      for (const u of unmet) expect(['runtime', 'node-ssh', 'host-to-node', 'networkpolicy', 'etcd', 'ingress', 'rbac', 'metrics', 'storage', 'loadbalancer'], `${lab.id}: ${u.need}`).toContain(u.need)
    }
  }, 60_000)

  for (const id of SAMPLE) {
    it(`${id}: start → check fails → solution → check passes`, async () => {
      const lab = entries.find((e) => e.lab?.id === id)?.lab
      expect(lab, `lab ${id} is in labs/`).toBeDefined()
      expect(unmetNeeds(lab!, await new LabRunner(cluster, lab!).facts())).toEqual([])
      await prove(lab!)
    }, 150_000)
  }

  it('imports the Killercoda fixture and passes it', async () => {
    const { lab } = importKillercoda(join(import.meta.dirname, '..', 'fixtures', 'killercoda', 'first-pod'), join(tmp, 'imported'))
    expect(lab.needs.capabilities).toEqual([])
    await prove(lab, { 1: ['run', 'my-pod', '--image=nginx:alpine'], 2: ['delete', 'pod', 'my-pod', '--wait=false'] })
  }, 60_000)

  it('reset deletes what the lab made and replays the current step', async () => {
    const lab = entries.find((e) => e.lab?.id === 'scale-deployment')!.lab!
    const runner = new LabRunner(cluster, lab)
    await runner.start()
    await c.k('-n', 'dev', 'scale', 'deploy/web', '--replicas=3')
    await c.k('-n', 'dev', 'create', 'configmap', 'stray')
    await runner.reset()
    expect((await c.kubectl(['-n', 'dev', 'get', 'configmap', 'stray'])).code).not.toBe(0)
    expect(await c.k('-n', 'dev', 'get', 'deploy', 'web', '-o', 'jsonpath={.spec.replicas}')).toBe('1')
    expect(await c.k('get', 'ns', 'dev', '-o', 'jsonpath={.metadata.labels.kubelab\\.dev/lab}')).toBe('scale-deployment')
  }, 60_000)
})
