// Leader election as upstream's scheduler and controller manager do it: two replicas of each,
// in process against one API server, race for kube-system/kube-scheduler and
// kube-system/kube-controller-manager. Only the holder runs its loops (proved by what gets
// done: pods bound, ReplicaSets made); losing the lease stops them and the other replica takes
// over; a stopped holder releases the lease. The electors run on a FakeClock moved in steps;
// everything else is real. No timed assertions: each step waits on a condition.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createClient, resourceRef, type ClosableClient } from '../../src-cluster/client'
import { startScheduler } from '../../src-cluster/scheduler'
import { startControllerManager } from '../../src-cluster/cmd/controller-manager'
import { runLeaderElected, type LeaderElected } from '../../src-cluster/leaderelection/run'
import { leaderElectionFromFlags } from '../../src-cluster/cmd/flags'
import { type LeaseObject } from '../../src-cluster/leaderelection/elector'
import { FakeClock } from '../../src-cluster/util/clock'
import type { KubeObject } from '../../src-cluster/api/object'
import { startTestApiServer, type TestApiServer } from '../helpers/apiserver'
import { RES } from '../../src-cluster/kit/resources'
import { until as poll } from '../helpers/wait'

const PODS = resourceRef('v1', 'pods')
const NODES = resourceRef('v1', 'nodes')
const DEPLOYMENTS = resourceRef('apps/v1', 'deployments')
const REPLICASETS = resourceRef('apps/v1', 'replicasets')

let t: TestApiServer
let admin: ClosableClient
const clients: ClosableClient[] = []
const clock = new FakeClock(Date.now())
const replicas: Record<string, LeaderElected> = {}
const lost: string[] = []

const newClient = (agent: string): ClosableClient => {
  const c = createClient({
    server: t.server.url,
    caPem: t.server.pki.ca.certPem,
    certPem: t.server.admin.certPem,
    keyPem: t.server.admin.keyPem,
    userAgent: agent,
  })
  clients.push(c)
  return c
}

/** Moves the electors' clock in 250 ms steps, letting their API calls land in between, until `check` holds. */
const waitFor = <T>(what: string, check: () => Promise<T>, maxSteps = 400) =>
  poll(what, check, { maxAttempts: maxSteps, pause: () => (clock.advance(250), new Promise<void>((r) => setTimeout(r, 15))) })

const lease = (name: string) => admin.get<LeaseObject>(RES.leases, 'kube-system', name)
const holder = async (name: string) => (await lease(name))?.spec?.holderIdentity ?? ''

function scheduler(id: string): LeaderElected {
  const client = newClient(`scheduler-${id}`)
  return runLeaderElected({
    client,
    name: 'kube-scheduler',
    clock,
    log: () => {},
    start: () => startScheduler({ client, log: () => {} }),
    onLost: () => lost.push(`scheduler-${id}`),
  })
}

function controllerManager(id: string): LeaderElected {
  const client = newClient(`controller-manager-${id}`)
  return runLeaderElected({
    client,
    name: 'kube-controller-manager',
    clock,
    log: () => {},
    start: () => startControllerManager({ client, log: () => {} }),
    onLost: () => lost.push(`controller-manager-${id}`),
  })
}

async function addPod(name: string): Promise<void> {
  await admin.create(PODS, 'default', {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default' },
    spec: { containers: [{ name: 'app', image: 'busybox' }] },
  })
}
const boundNode = async (name: string) => (await admin.get<KubeObject & { spec?: { nodeName?: string } }>(PODS, 'default', name))?.spec?.nodeName

async function addDeployment(name: string): Promise<void> {
  await admin.create(DEPLOYMENTS, 'default', {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: 'default' },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'app', image: 'busybox' }] } },
    },
  })
}
const replicaSetsOf = async (name: string) =>
  (await admin.list(REPLICASETS, { namespace: 'default' })).items.filter((r) => r.metadata?.name?.startsWith(`${name}-`)).length

beforeAll(async () => {
  t = await startTestApiServer()
  admin = newClient('test-admin')
  const alloc = { cpu: '4', memory: '8Gi', pods: '110' }
  await admin.create(NODES, undefined, {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: 'n1', labels: { 'kubernetes.io/hostname': 'n1' } },
    status: { capacity: alloc, allocatable: alloc, conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'test' }] },
  })
  replicas.sa = scheduler('a')
  replicas.ca = controllerManager('a')
  replicas.sb = scheduler('b')
  replicas.cb = controllerManager('b')
}, 60_000)

afterAll(async () => {
  for (const r of Object.values(replicas)) await r.stop()
  for (const c of clients) c.close()
  await t?.close()
})

describe('leader election (coordination.k8s.io Leases, as upstream)', () => {
  it('elects one holder per lease, shown by kubectl, and only the holder runs its loops', async () => {
    const s = await waitFor('a scheduler holding kube-scheduler', async () => (await holder('kube-scheduler')) || undefined)
    const c = await waitFor('a controller manager holding kube-controller-manager', async () => (await holder('kube-controller-manager')) || undefined)
    expect(s).toMatch(/^.+_[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/) // hostname_uuid
    await waitFor('the holders running', async () => replicas.sa.running() !== replicas.sb.running() && replicas.ca.running() !== replicas.cb.running())
    expect([replicas.sa, replicas.sb].filter((r) => r.running()).map((r) => r.elector.identity)).toEqual([s])
    expect([replicas.ca, replicas.cb].filter((r) => r.running()).map((r) => r.elector.identity)).toEqual([c])
    const l = await lease('kube-scheduler')
    expect(l?.spec).toMatchObject({ leaseDurationSeconds: 15, leaseTransitions: 0 })
    const table = await t.k('-n', 'kube-system', 'get', 'lease')
    expect(table).toMatch(/NAME\s+HOLDER\s+AGE/)
    expect(table).toContain(s)
    expect(table).toContain(c)
    // The loops do their work: the holder scheduler binds, the holder controller manager makes the ReplicaSet.
    await addPod('p1')
    await waitFor('p1 bound', () => boundNode('p1'))
    await addDeployment('d1')
    await waitFor('d1 ReplicaSet', async () => (await replicaSetsOf('d1')) === 1)
  })

  it('a holder that cannot renew within the deadline stops its loops; the other takes over after the lease duration', async () => {
    const s = await holder('kube-scheduler')
    const [old, next] = replicas.sa.elector.identity === s ? [replicas.sa, replicas.sb] : [replicas.sb, replicas.sa]
    // Someone else writes the lease (as a partitioned holder would find): the holder's renewals now fail.
    const l = (await lease('kube-scheduler'))!
    await admin.update(RES.leases, { ...l, spec: { ...l.spec, holderIdentity: 'elsewhere_00000000-0000-0000-0000-000000000000' } })
    await waitFor('the old holder to stop scheduling', async () => !old.running() && lost.length > 0)
    expect(lost).toContain(old === replicas.sa ? 'scheduler-a' : 'scheduler-b')
    const taken = await waitFor('the other replica to take the lease', async () =>
      (await holder('kube-scheduler')) === next.elector.identity ? lease('kube-scheduler') : undefined,
    )
    expect(taken?.spec?.leaseTransitions).toBe(1)
    await waitFor('the new holder running', async () => next.running())
    await addPod('p2')
    await waitFor('p2 bound by the new holder', () => boundNode('p2'))
  })

  it('a stopped holder releases its lease and the other replica takes over at once', async () => {
    const c = await holder('kube-controller-manager')
    const [old, next] = replicas.ca.elector.identity === c ? [replicas.ca, replicas.cb] : [replicas.cb, replicas.ca]
    await old.stop()
    expect((await lease('kube-controller-manager'))?.spec).toMatchObject({ leaseDurationSeconds: 1 })
    await waitFor('the other controller manager to hold the lease', async () => (await holder('kube-controller-manager')) === next.elector.identity)
    await waitFor('it to run the controllers', async () => next.running())
    await addDeployment('d2')
    await waitFor('d2 ReplicaSet', async () => (await replicaSetsOf('d2')) === 1)
  })

  it('takes upstream flags and refuses inconsistent durations', () => {
    expect(leaderElectionFromFlags({}, 'kube-scheduler')).toEqual({
      enabled: true,
      namespace: 'kube-system',
      name: 'kube-scheduler',
      timing: { leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 },
    })
    expect(
      leaderElectionFromFlags({ 'leader-elect-lease-duration': '5s', 'leader-elect-renew-deadline': '3s', 'leader-elect-retry-period': '1s' }, 'x').timing,
    ).toEqual({ leaseDurationMs: 5000, renewDeadlineMs: 3000, retryPeriodMs: 1000 })
    expect(() => leaderElectionFromFlags({ 'leader-elect-lease-duration': '5s' }, 'x')).toThrow(
      /lease duration \(5s\) must be greater than the renew deadline \(10s\)/,
    )
    expect(() => leaderElectionFromFlags({ 'leader-elect-retry-period': '9s' }, 'x')).toThrow(/renew deadline .* must be greater than 1.2/)
    expect(leaderElectionFromFlags({ 'leader-elect': 'false' }, 'x').enabled).toBe(false)
  })
})
