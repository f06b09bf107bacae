// Scheduler preemption through the API on a simulated cluster (API server, controllers,
// scheduler, hollow kubelets that really terminate pods), driven with the real kubectl: a pod
// of higher priority that fits nowhere gets status.nominatedNodeName, its victims get
// DisruptionTarget (PreemptionByScheduler), a graceful delete and a Preempted event, then it is
// bound there; preemptionPolicy Never, equal priorities and PodDisruptionBudgets are honoured.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { resourceRef, type WatchHandle } from '../../src-cluster/client'
import type { PodObj } from '../../src-cluster/kit/objects'
import { startTestCluster, type TestCluster } from '../helpers/cluster'

const PODS = resourceRef('v1', 'pods')
let t: TestCluster
/** Every version of every pod seen, in order, from a watch opened before the tests. */
const seen: { type: string; pod: PodObj }[] = []
let watch: WatchHandle

beforeAll(async () => {
  // Two 2-CPU workers; terminating pods take 300 ms to go, long enough to be seen terminating.
  t = await startTestCluster({ nodes: 2, nodeOptions: { cpu: '2', shutdownMs: 300 } })
  await t.waitFor('2 Ready nodes', async () => (await t.k('get', 'nodes', '--no-headers')).split('\n').filter((l) => / Ready /.test(l)).length === 2)
  watch = t.client.watch<PodObj>(PODS, {}, (ev) => seen.push({ type: ev.type, pod: ev.object }))
  await t.kubectl(['apply', '-f', '-'], {
    input: `apiVersion: scheduling.k8s.io/v1
kind: PriorityClass
metadata: {name: low}
value: 100
---
apiVersion: scheduling.k8s.io/v1
kind: PriorityClass
metadata: {name: high}
value: 10000
---
apiVersion: scheduling.k8s.io/v1
kind: PriorityClass
metadata: {name: high-polite}
value: 10000
preemptionPolicy: Never
`,
  })
})

afterAll(async () => {
  watch?.stop()
  await t?.close()
})

/** A pod pinned to a node by nodeSelector, requesting cpu, in a priority class. */
function podYaml(name: string, o: { cpu: string; cls?: string; node?: string; labels?: Record<string, string> }): string {
  const labels = { app: name, ...(o.labels ?? {}) }
  return `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
  labels: ${JSON.stringify(labels)}
spec:
  ${o.cls ? `priorityClassName: ${o.cls}` : ''}
  ${o.node ? `nodeSelector: {kubernetes.io/hostname: ${o.node}}` : ''}
  containers:
  - name: app
    image: nginx
    resources: {requests: {cpu: ${o.cpu}}}
`
}

async function apply(yaml: string): Promise<void> {
  const r = await t.kubectl(['apply', '-f', '-'], { input: yaml })
  if (r.code !== 0) throw new Error(`kubectl apply failed: ${r.stderr}`)
}

async function getPod(name: string): Promise<PodObj | undefined> {
  const r = await t.kubectl(['get', 'pod', name, '-o', 'json'])
  return r.code === 0 ? (JSON.parse(r.stdout) as PodObj) : undefined
}

const running = (name: string): Promise<PodObj> =>
  t.waitFor(`pod ${name} Running`, async () => {
    const p = await getPod(name)
    return p?.status?.phase === 'Running' && !p.metadata?.deletionTimestamp ? p : undefined
  })

/** The PodScheduled=False message once the scheduler has judged the pod. */
const unschedulable = (name: string): Promise<string> =>
  t.waitFor(`pod ${name} judged unschedulable`, async () => {
    const c = (await getPod(name))?.status?.conditions?.find((x) => x.type === 'PodScheduled')
    return c?.status === 'False' && c.reason === 'Unschedulable' ? (c.message ?? '') : undefined
  })

async function deleteAll(...names: string[]): Promise<void> {
  await t.k('delete', 'pod', ...names, '--ignore-not-found', '--wait=true')
}

describe('scheduler preemption', () => {
  it('evicts the fewest lower-priority pods, nominates the node, then binds the preemptor there', async () => {
    // node-1: two 900m pods; node-2: one 1500m pod. A 1-CPU high pod needs one victim on
    // either node (on node-1 one of the two frees enough).
    await apply([podYaml('a1', { cpu: '900m', cls: 'low', node: 'node-1' }), podYaml('a2', { cpu: '900m', cls: 'low', node: 'node-1' })].join('---\n'))
    await apply(podYaml('b1', { cpu: '1500m', cls: 'low', node: 'node-2' }))
    for (const n of ['a1', 'a2', 'b1']) await running(n)
    await apply(podYaml('crit', { cpu: '1', cls: 'high' }))
    const crit = await t.waitFor('crit bound', async () => {
      const p = await getPod('crit')
      return p?.spec?.nodeName ? p : undefined
    })
    expect(crit.spec?.priority).toBe(10000)
    const node = crit.spec!.nodeName!
    // The preemptor was nominated to that node before it was bound there.
    const critVersions = seen.filter((e) => e.pod.metadata?.name === 'crit').map((e) => e.pod)
    const firstNominated = critVersions.findIndex((p) => p.status?.nominatedNodeName === node && !p.spec?.nodeName)
    expect(firstNominated).toBeGreaterThanOrEqual(0)
    expect(critVersions.findIndex((p) => p.spec?.nodeName)).toBeGreaterThan(firstNominated)
    // Exactly one victim, gone after a graceful delete with DisruptionTarget set first.
    const left = (await Promise.all(['a1', 'a2', 'b1'].map(async (n) => ((await getPod(n)) ? n : undefined)))).filter(Boolean)
    expect(left).toHaveLength(2)
    const victim = ['a1', 'a2', 'b1'].find((n) => !left.includes(n))!
    expect(node).toBe(victim === 'b1' ? 'node-2' : 'node-1')
    const versions = seen.filter((e) => e.pod.metadata?.name === victim).map((e) => e.pod)
    const terminating = versions.find((p) => p.metadata?.deletionTimestamp)
    expect(terminating?.metadata?.deletionGracePeriodSeconds).toBe(30)
    expect(terminating?.status?.conditions).toContainEqual(
      expect.objectContaining({
        type: 'DisruptionTarget',
        status: 'True',
        reason: 'PreemptionByScheduler',
        message: 'default-scheduler: preempting to accommodate a higher priority pod',
      }),
    )
    const events = JSON.parse(await t.k('get', 'events', '--field-selector', `involvedObject.name=${victim}`, '-o', 'json')) as {
      items: { reason: string; message: string; type: string }[]
    }
    expect(events.items).toContainEqual(
      expect.objectContaining({ type: 'Normal', reason: 'Preempted', message: `Preempted by pod ${crit.metadata?.uid} on node ${node}` }),
    )
    await deleteAll('a1', 'a2', 'b1', 'crit')
  })

  it('does not preempt for preemptionPolicy: Never nor for pods of equal priority, and says why', async () => {
    await apply([podYaml('l1', { cpu: '1500m', cls: 'low', node: 'node-1' }), podYaml('l2', { cpu: '1500m', cls: 'low', node: 'node-2' })].join('---\n'))
    for (const n of ['l1', 'l2']) await running(n)
    await apply(podYaml('polite', { cpu: '1', cls: 'high-polite' }))
    expect(await unschedulable('polite')).toBe('0/2 nodes are available: 2 Insufficient cpu. preemption: not eligible due to preemptionPolicy=Never.')
    await apply(podYaml('peer', { cpu: '1', cls: 'low' }))
    expect(await unschedulable('peer')).toBe(
      '0/2 nodes are available: 2 Insufficient cpu. preemption: 0/2 nodes are available: 2 No preemption victims found for incoming pod.',
    )
    // The scheduler writes its verdict after any eviction: none happened.
    for (const n of ['l1', 'l2']) expect((await getPod(n))?.metadata?.deletionTimestamp).toBeUndefined()
    expect((await getPod('polite'))?.status?.nominatedNodeName).toBeUndefined()
    await deleteAll('l1', 'l2', 'polite', 'peer')
  })

  it('prefers victims no PodDisruptionBudget protects', async () => {
    // node-1's pod has the lower priority (0, no class) but a budget that allows no disruption.
    await apply(
      [
        podYaml('guarded', { cpu: '1500m', node: 'node-1', labels: { tier: 'guarded' } }),
        podYaml('free', { cpu: '1500m', cls: 'low', node: 'node-2', labels: { tier: 'free' } }),
        `apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: guarded}
spec:
  minAvailable: 1
  selector: {matchLabels: {tier: guarded}}
`,
      ].join('---\n'),
    )
    for (const n of ['guarded', 'free']) await running(n)
    await t.waitFor('the budget to allow no disruption', async () => {
      const pdb = JSON.parse(await t.k('get', 'pdb', 'guarded', '-o', 'json')) as { status?: { currentHealthy?: number; disruptionsAllowed?: number } }
      return pdb.status?.currentHealthy === 1 && pdb.status.disruptionsAllowed === 0
    })
    await apply(podYaml('crit2', { cpu: '1', cls: 'high' }))
    const crit = await running('crit2')
    expect(crit.spec?.nodeName).toBe('node-2')
    expect(await getPod('guarded')).toBeDefined()
    expect(await getPod('free')).toBeUndefined()
    await t.k('delete', 'pdb', 'guarded')
    await deleteAll('guarded', 'crit2')
  })
})
