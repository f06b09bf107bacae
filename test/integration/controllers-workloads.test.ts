// Workload controllers (ReplicaSet, Deployment, DaemonSet, StatefulSet) against a real in-process
// API server and the real kubectl. No scheduler or kubelet runs here: FakeKubelet below binds
// pods, reports them Running and Ready, and completes graceful deletions; a test can pause it.
import type { KubeObject } from '../../src-cluster/api/object'
import { createClient, type ClosableClient } from '../../src-cluster/client'
import { Informer } from '../../src-cluster/client/informer'
import { createControllerContext, type Controller, type ControllerContext } from '../../src-cluster/controllers/framework'
import { FakeClock, type Clock } from '../../src-cluster/util/clock'
import { afterEach, describe, expect, it } from 'vitest'
import { DaemonSetController, DeploymentController, ReplicaSetController, StatefulSetController } from '../../src-cluster/controllers/workloads'
import { startTestApiServer, type TestApiServer } from '../helpers/apiserver'
import type { ApiServerOptions } from '../../src-cluster/apiserver/server'
import type { DaemonSetObj, DeploymentObj, PodObj, PVCObj, ReplicaSetObj, StatefulSetObj } from '../../src-cluster/kit/objects'
import { RES } from '../../src-cluster/kit/resources'
import { until as poll } from '../helpers/wait'

interface Harness {
  t: TestApiServer
  client: ClosableClient
  ctx: ControllerContext
  kubelet: FakeKubelet
  close(): Promise<void>
}

async function startHarness(
  controllers: Controller[],
  opts: {
    clock?: Clock
    nodes?: { name: string; labels?: Record<string, string>; taints?: unknown[] }[]
    apiServer?: Partial<ApiServerOptions>
    log?: (line: string) => void
  } = {},
): Promise<Harness> {
  const t = await startTestApiServer({ ...(opts.clock ? { now: () => opts.clock!.now() } : {}), ...opts.apiServer })
  const client = createClient({ server: t.server.url, caPem: t.server.pki.ca.certPem, certPem: t.server.admin.certPem, keyPem: t.server.admin.keyPem })
  for (const n of opts.nodes ?? [{ name: 'node-1' }, { name: 'node-2' }, { name: 'node-3' }]) {
    await client.create(RES.nodes, undefined, {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: n.name, labels: { 'kubernetes.io/hostname': n.name, ...(n.labels ?? {}) } },
      spec: n.taints ? { taints: n.taints } : {},
      status: { conditions: [{ type: 'Ready', status: 'True' }] },
    })
  }
  const ctx = createControllerContext({ client, clock: opts.clock, log: opts.log ?? (process.env.WL_DEBUG ? (l) => console.log(l) : () => {}) })
  const kubelet = new FakeKubelet(client, ctx.clock)
  await kubelet.start()
  for (const c of controllers) await c.start(ctx)
  return {
    t,
    client,
    ctx,
    kubelet,
    async close() {
      for (const c of controllers) c.stop()
      kubelet.stop()
      ctx.informers.stopAll()
      client.close()
      await t.close()
    },
  }
}

/** Binds pending pods round-robin (or to the node their DaemonSet affinity names), makes them Running+Ready, and completes deletions. */
class FakeKubelet {
  /** While false, pods are bound but stay Pending and not ready. */
  ready = true
  private readonly inf: Informer<PodObj>
  private rr = 0
  private readonly busy = new Set<string>()

  constructor(
    private readonly client: ClosableClient,
    private readonly clock: Clock,
  ) {
    this.inf = new Informer<PodObj>(client, RES.pods, { log: () => {} })
    this.inf.addHandler({ add: (p) => this.kick(p), update: (_o, p) => this.kick(p) })
  }

  start(): Promise<void> {
    return this.inf.start()
  }

  stop(): void {
    this.inf.stop()
  }

  pods(): PodObj[] {
    return this.inf.list()
  }

  /** Re-examine every pod (after `ready` flips back on). */
  resume(): void {
    this.ready = true
    for (const p of this.inf.list()) this.kick(p)
  }

  private kick(pod: PodObj): void {
    const key = `${pod.metadata?.namespace}/${pod.metadata?.name}`
    if (this.busy.has(key)) return
    this.busy.add(key)
    void this.step(pod)
      .catch(() => {})
      .finally(() => {
        this.busy.delete(key)
        const cur = this.inf.get(key)
        if (cur && cur.metadata?.resourceVersion !== pod.metadata?.resourceVersion) this.kick(cur)
      })
  }

  private async step(pod: PodObj): Promise<void> {
    const ns = pod.metadata?.namespace
    const name = String(pod.metadata?.name)
    if (pod.metadata?.deletionTimestamp) {
      await this.client.delete(RES.pods, ns, name, { gracePeriodSeconds: 0 })
      return
    }
    if (!pod.spec?.nodeName) {
      const pinned = pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms?.[0]?.matchFields?.find(
        (f) => f.key === 'metadata.name',
      )?.values?.[0]
      const node = pinned ?? `node-${(this.rr++ % 3) + 1}`
      await this.client.createSubresource(RES.pods, ns, name, 'binding', {
        apiVersion: 'v1',
        kind: 'Binding',
        metadata: { name },
        target: { kind: 'Node', name: node },
      })
      return
    }
    if (!this.ready || pod.status?.phase === 'Running' || pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') return
    const now = this.clock
      .now()
      .toISOString()
      .replace(/\.\d{3}Z$/, 'Z')
    const status = {
      ...(pod.status ?? {}),
      phase: 'Running',
      podIP: '10.244.0.10',
      startTime: now,
      conditions: [
        { type: 'PodScheduled', status: 'True', lastTransitionTime: now },
        { type: 'Initialized', status: 'True', lastTransitionTime: now },
        { type: 'ContainersReady', status: 'True', lastTransitionTime: now },
        { type: 'Ready', status: 'True', lastTransitionTime: now },
      ],
      containerStatuses: (pod.spec?.containers ?? []).map((c) => ({
        name: c.name,
        image: c.image,
        imageID: '',
        ready: true,
        restartCount: 0,
        started: true,
        state: { running: { startedAt: now } },
      })),
    }
    await this.client.update(RES.pods, { ...pod, status } as KubeObject, { subresource: 'status' })
  }

  /** Mark a pod Failed (its container exited). */
  async fail(namespace: string, name: string): Promise<void> {
    const pod = await this.client.get<PodObj>(RES.pods, namespace, name)
    if (!pod) throw new Error(`pod ${namespace}/${name} not found`)
    await this.client.update(
      RES.pods,
      { ...pod, status: { ...(pod.status ?? {}), phase: 'Failed', conditions: [{ type: 'Ready', status: 'False' }] } } as KubeObject,
      { subresource: 'status' },
    )
  }
}

/** Wait (real time) until `fn` returns a truthy value; fail with what was last seen. */
const eventually = <T>(what: string, fn: () => Promise<T> | T, ms = 20_000) => poll(what, fn, { timeoutMs: ms, intervalMs: 50 })

// ---------------------------------------------------------------------------------------------

let h: Harness | undefined
afterEach(async () => {
  await h?.close()
  h = undefined
})

const NS = 'default'
const list = async <T extends KubeObject>(res: (typeof RES)[keyof typeof RES], labelSelector?: string) =>
  (await h!.client.list<T>(res, { namespace: NS, labelSelector })).items
/** Pods not being deleted and not finished (what a controller counts). */
const activePods = async (labelSelector: string) =>
  (await list<PodObj>(RES.pods, labelSelector)).filter((p) => !p.metadata?.deletionTimestamp && p.status?.phase !== 'Failed' && p.status?.phase !== 'Succeeded')

function rsManifest(name: string, replicas: number, labels: Record<string, string>): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name, namespace: NS },
    spec: { replicas, selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers: [{ name: 'c', image: 'nginx:1' }] } } },
  }
}

function deployManifest(name: string, replicas: number, extra: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: NS },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'web', image: 'nginx:1.25' }] } },
      ...extra,
    },
  }
}

describe('ReplicaSet controller', () => {
  it('creates, replaces, scales down and adopts pods, with status and events', async () => {
    h = await startHarness([new ReplicaSetController()])
    const { client } = h
    // An orphan that matches the selector is adopted instead of a new pod being created.
    await client.create(RES.pods, NS, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'orphan', labels: { app: 'cache' } },
      spec: { containers: [{ name: 'c', image: 'nginx:1' }] },
    })
    await client.create(RES.replicasets, NS, rsManifest('cache', 3, { app: 'cache' }))
    const rs = await eventually('3 ready replicas', async () => {
      const r = await client.get<ReplicaSetObj>(RES.replicasets, NS, 'cache')
      return r?.status?.readyReplicas === 3 &&
        r.status.availableReplicas === 3 &&
        r.status.fullyLabeledReplicas === 3 &&
        r.status.observedGeneration === r.metadata?.generation
        ? r
        : undefined
    })
    const pods = await activePods('app=cache')
    expect(pods).toHaveLength(3)
    expect(pods.map((p) => p.metadata?.name)).toContain('orphan')
    for (const p of pods) {
      expect(p.metadata?.ownerReferences).toEqual([
        { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'cache', uid: rs.metadata?.uid, controller: true, blockOwnerDeletion: true },
      ])
      if (p.metadata?.name !== 'orphan') expect(p.metadata?.name).toMatch(/^cache-[a-z0-9]{5}$/)
    }

    // A pod that failed is replaced.
    const victim = pods.find((p) => p.metadata?.name !== 'orphan')!
    await h.kubelet.fail(NS, String(victim.metadata?.name))
    await eventually('a replacement for the failed pod', async () => (await activePods('app=cache')).filter((p) => p.status?.phase === 'Running').length === 3)

    // Scale down to 1 with the real kubectl; the pod removed first is the not-ready one.
    h.kubelet.ready = false
    await h.t.k('scale', 'rs/cache', '--replicas=4')
    const notReady = await eventually('a 4th, not ready pod', async () => (await activePods('app=cache')).find((p) => p.status?.phase !== 'Running'))
    await h.t.k('scale', 'rs/cache', '--replicas=3')
    await eventually('the not-ready pod deleted first', async () => {
      const names = (await activePods('app=cache')).map((p) => p.metadata?.name)
      return names.length === 3 && !names.includes(notReady.metadata?.name)
    })
    h.kubelet.resume()
    await h.t.k('scale', 'rs/cache', '--replicas=1')
    await eventually('1 pod', async () => (await activePods('app=cache')).length === 1)
    await eventually('status replicas 1', async () => (await client.get<ReplicaSetObj>(RES.replicasets, NS, 'cache'))?.status?.replicas === 1)

    // A pod relabelled away is released (its controllerRef removed) and replaced.
    const [kept] = await activePods('app=cache')
    await client.patch(RES.pods, NS, String(kept!.metadata?.name), { metadata: { labels: { app: 'other' } } }, 'merge')
    await eventually(
      'released pod',
      async () => ((await client.get<PodObj>(RES.pods, NS, String(kept!.metadata?.name)))?.metadata?.ownerReferences ?? []).length === 0,
    )
    await eventually('a replacement', async () => (await activePods('app=cache')).length === 1)

    const events = await h.t.k(
      'get',
      'events',
      '--field-selector',
      'involvedObject.name=cache',
      '-o',
      'jsonpath={range .items[*]}{.reason}: {.message}{"\\n"}{end}',
    )
    expect(events).toMatch(/SuccessfulCreate: Created pod: cache-[a-z0-9]{5}/)
    expect(events).toMatch(/SuccessfulDelete: Deleted pod: /)
  })

  it('retries refused creates on its back-off without writing its status each time (each write would sync it again at once)', async () => {
    // Every create is refused by a quota of 0 pods (its status set by hand: no quota controller
    // runs here). Each refusal names another generated pod.
    const clock = new FakeClock(Date.now())
    const logs: string[] = []
    h = await startHarness([new ReplicaSetController()], { clock, log: (l) => logs.push(l) })
    const { client } = h
    await client.create(RES.namespaces, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'no-room' } })
    await client.create(RES.resourcequotas, 'no-room', { apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: 'none' }, spec: { hard: { pods: '0' } } })
    await client.patch(RES.resourcequotas, 'no-room', 'none', { status: { hard: { pods: '0' }, used: { pods: '0' } } }, 'merge', { subresource: 'status' })
    await client.create(RES.replicasets, 'no-room', { ...rsManifest('refused', 2, { app: 'refused' }), metadata: { name: 'refused', namespace: 'no-room' } })
    const read = async () => (await client.get<ReplicaSetObj>(RES.replicasets, 'no-room', 'refused'))!
    const failure = (rs: ReplicaSetObj) => rs.status?.conditions?.find((c) => c.type === 'ReplicaFailure')
    const refusals = () => logs.filter((l) => l.startsWith('replicaset: error syncing no-room/refused:')).length
    const first = await eventually('the ReplicaFailure condition', async () => {
      const rs = await read()
      return failure(rs) ? rs : undefined
    })
    expect(failure(first)?.message).toMatch(/^pods "refused-[a-z0-9]{5}" is forbidden: exceeded quota: none, requested: pods=1, used: pods=0, limited: pods=0$/)
    // Each step of the fake clock lets the next rate-limited retry run, and it is refused again.
    const before = refusals()
    await poll('5 more refused retries', () => refusals() >= before + 5, {
      maxAttempts: 500,
      context: () => logs.slice(-10).join('\n'),
      pause: async () => {
        clock.advance(1000)
        await new Promise((r) => setTimeout(r, 20))
      },
    })
    // The status written with the first refusal stands: no write per retry.
    const now = await read()
    expect(now.metadata?.resourceVersion).toBe(first.metadata?.resourceVersion)
    expect(failure(now)).toEqual(failure(first))
  })
})

describe('Deployment controller', () => {
  const rsOf = async (name: string) =>
    (await list<ReplicaSetObj>(RES.replicasets, `app=${name}`)).sort(
      (a, b) => Number(a.metadata?.annotations?.['deployment.kubernetes.io/revision']) - Number(b.metadata?.annotations?.['deployment.kubernetes.io/revision']),
    )
  const sizes = async (name: string) => (await rsOf(name)).map((rs) => rs.spec?.replicas)

  it('rolls out within maxSurge/maxUnavailable, keeps history, undoes, pauses and restarts via kubectl', async () => {
    h = await startHarness([new ReplicaSetController(), new DeploymentController()])
    const { client, t } = h
    await client.create(
      RES.deployments,
      NS,
      deployManifest('web', 4, { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 1 } } }),
    )
    await t.k('rollout', 'status', 'deploy/web', '--timeout=30s')
    const [first] = await rsOf('web')
    const hash = first!.metadata?.labels?.['pod-template-hash']
    expect(first!.metadata?.name).toBe(`web-${hash}`)
    expect(hash).toMatch(/^[456789bcdf]{6,10}$/)
    expect(first!.metadata?.annotations).toMatchObject({
      'deployment.kubernetes.io/revision': '1',
      'deployment.kubernetes.io/desired-replicas': '4',
      'deployment.kubernetes.io/max-replicas': '5',
    })
    expect(first!.spec?.selector?.matchLabels).toEqual({ app: 'web', 'pod-template-hash': hash })
    let d = (await client.get<DeploymentObj>(RES.deployments, NS, 'web'))!
    expect(d.metadata?.annotations?.['deployment.kubernetes.io/revision']).toBe('1')
    expect(d.status).toMatchObject({ replicas: 4, updatedReplicas: 4, readyReplicas: 4, availableReplicas: 4, observedGeneration: d.metadata?.generation })
    expect(d.status?.conditions?.find((c) => c.type === 'Available')).toMatchObject({ status: 'True', reason: 'MinimumReplicasAvailable' })
    expect(d.status?.conditions?.find((c) => c.type === 'Progressing')).toMatchObject({ status: 'True', reason: 'NewReplicaSetAvailable' })

    // With new pods never becoming ready, the rollout stops at surge 1 + unavailable 1: new 2, old 3.
    h.kubelet.ready = false
    await t.k('annotate', 'deploy/web', 'kubernetes.io/change-cause=bump to 1.26')
    await t.k('set', 'image', 'deploy/web', 'web=nginx:1.26')
    await eventually('new 2 / old 3', async () => JSON.stringify(await sizes('web')) === JSON.stringify([3, 2]))
    // It stays there: give the controllers a moment, then check again.
    await new Promise((r) => setTimeout(r, 300))
    expect(await sizes('web')).toEqual([3, 2])
    h.kubelet.resume()
    await t.k('rollout', 'status', 'deploy/web', '--timeout=30s')
    expect(await sizes('web')).toEqual([0, 4])
    const images = (await activePods('app=web')).map((p) => p.spec?.containers[0]?.image)
    expect(images).toEqual(['nginx:1.26', 'nginx:1.26', 'nginx:1.26', 'nginx:1.26'])

    const history = await t.k('rollout', 'history', 'deploy/web')
    expect(history).toMatch(/^1\s/m)
    expect(history).toMatch(/^2\s+bump to 1\.26$/m)

    // Undo: kubectl puts revision 1's template back; the old ReplicaSet is reused as revision 3.
    await t.k('rollout', 'undo', 'deploy/web')
    await t.k('rollout', 'status', 'deploy/web', '--timeout=30s')
    const afterUndo = await rsOf('web')
    expect(afterUndo).toHaveLength(2)
    expect(afterUndo[1]!.metadata?.name).toBe(first!.metadata?.name)
    expect(afterUndo[1]!.metadata?.annotations?.['deployment.kubernetes.io/revision']).toBe('3')
    expect(afterUndo[1]!.spec?.replicas).toBe(4)
    d = (await client.get<DeploymentObj>(RES.deployments, NS, 'web'))!
    expect(d.metadata?.annotations?.['deployment.kubernetes.io/revision']).toBe('3')

    // Paused: template changes make no new ReplicaSet until resumed.
    await t.k('rollout', 'pause', 'deploy/web')
    await t.k('set', 'image', 'deploy/web', 'web=nginx:1.27')
    await eventually('Progressing=Unknown DeploymentPaused', async () => {
      const x = await client.get<DeploymentObj>(RES.deployments, NS, 'web')
      return (
        x?.status?.conditions?.find((c) => c.type === 'Progressing')?.reason === 'DeploymentPaused' && x.status.observedGeneration === x.metadata?.generation
      )
    })
    expect(await rsOf('web')).toHaveLength(2)
    await t.k('rollout', 'resume', 'deploy/web')
    await t.k('rollout', 'status', 'deploy/web', '--timeout=30s')
    expect(await rsOf('web')).toHaveLength(3)

    // restart: a template annotation change means a new ReplicaSet.
    await t.k('rollout', 'restart', 'deploy/web')
    await t.k('rollout', 'status', 'deploy/web', '--timeout=30s')
    const all = await rsOf('web')
    expect(all).toHaveLength(4)
    expect(all[3]!.spec?.template?.metadata?.annotations?.['kubectl.kubernetes.io/restartedAt']).toBeTruthy()

    const events = await t.k(
      'get',
      'events',
      '--field-selector',
      'involvedObject.kind=Deployment,involvedObject.name=web',
      '-o',
      'jsonpath={range .items[*]}{.reason}: {.message}{"\\n"}{end}',
    )
    expect(events).toContain(`ScalingReplicaSet: Scaled up replica set web-${hash} from 0 to 4`)
    expect(events).toMatch(/Scaled down replica set web-\w+ from 4 to 3/)
  })

  it('reports ProgressDeadlineExceeded when a rollout makes no progress within progressDeadlineSeconds (fake clock)', async () => {
    const clock = new FakeClock(Date.now())
    h = await startHarness([new ReplicaSetController(), new DeploymentController()], { clock })
    const { client, t } = h
    h.kubelet.ready = false
    await client.create(RES.deployments, NS, deployManifest('slow', 2, { progressDeadlineSeconds: 30 }))
    const progressing = async () => (await client.get<DeploymentObj>(RES.deployments, NS, 'slow'))?.status?.conditions?.find((c) => c.type === 'Progressing')
    // Let conflict retries (back-off runs on the fake clock) settle in small steps until the
    // Deployment reports both pods, so later clock jumps measure only the stalled rollout.
    await eventually('status with 2 updated replicas', async () => {
      clock.advance(10)
      const d = await client.get<DeploymentObj>(RES.deployments, NS, 'slow')
      return d?.status?.updatedReplicas === 2 && d.status.replicas === 2 && (await progressing())?.status === 'True'
    })
    await new Promise((r) => setTimeout(r, 200))
    clock.advance(20_000)
    await new Promise((r) => setTimeout(r, 200))
    expect((await progressing())?.status).toBe('True')
    clock.advance(11_000)
    const c = await eventually('deadline exceeded', async () => {
      const x = await progressing()
      return x?.reason === 'ProgressDeadlineExceeded' ? x : undefined
    })
    expect(c.status).toBe('False')
    expect(c.message).toMatch(/^ReplicaSet "slow-\w+" has timed out progressing\.$/)
    const r = await t.kubectl(['rollout', 'status', 'deploy/slow', '--timeout=10s'])
    expect(r.code).not.toBe(0)
    expect(r.stderr).toContain('exceeded its progress deadline')
  })

  it('Recreate deletes every old pod before creating new ones; history is limited', async () => {
    h = await startHarness([new ReplicaSetController(), new DeploymentController()])
    const { client, t } = h
    await client.create(RES.deployments, NS, deployManifest('db', 2, { strategy: { type: 'Recreate' }, revisionHistoryLimit: 1 }))
    await t.k('rollout', 'status', 'deploy/db', '--timeout=30s')
    h.kubelet.ready = false
    await t.k('set', 'image', 'deploy/db', 'web=nginx:1.26')
    await eventually('old scaled to 0 and new created', async () => JSON.stringify(await sizes('db')) === JSON.stringify([0, 2]))
    // Never a mix: new pods exist only once no old pod is left.
    expect((await activePods('app=db')).every((p) => p.spec?.containers[0]?.image === 'nginx:1.26')).toBe(true)
    h.kubelet.resume()
    await t.k('rollout', 'status', 'deploy/db', '--timeout=30s')
    await t.k('set', 'image', 'deploy/db', 'web=nginx:1.27')
    await t.k('rollout', 'status', 'deploy/db', '--timeout=30s')
    // revisionHistoryLimit 1: the current one plus one old ReplicaSet.
    await eventually('history cleaned to 2 ReplicaSets', async () => (await rsOf('db')).length === 2)
  })
})

describe('DaemonSet controller', () => {
  it('runs one pinned pod per eligible node, tolerating the control plane when asked, and rolls updates', async () => {
    const nodes: { name: string; labels?: Record<string, string>; taints?: unknown[] }[] = [
      { name: 'cp', labels: { 'node-role.kubernetes.io/control-plane': '' }, taints: [{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }] },
      { name: 'node-1', labels: { disk: 'ssd' } },
      { name: 'node-2' },
      { name: 'node-3', labels: { disk: 'ssd' } },
    ]
    h = await startHarness([new DaemonSetController()], { nodes })
    const { client, t } = h
    const ds = (name: string, spec: Record<string, unknown>) => ({
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: { name, namespace: NS },
      spec: {
        selector: { matchLabels: { app: name } },
        template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'agent', image: 'agent:1' }], ...spec } },
      },
    })
    await client.create(
      RES.daemonsets,
      NS,
      ds('agent', { tolerations: [{ key: 'node-role.kubernetes.io/control-plane', operator: 'Exists', effect: 'NoSchedule' }] }),
    )
    await client.create(RES.daemonsets, NS, ds('plain', {}))
    await client.create(RES.daemonsets, NS, ds('fast', { nodeSelector: { disk: 'ssd' } }))
    await t.k('rollout', 'status', 'ds/agent', '--timeout=30s')
    await t.k('rollout', 'status', 'ds/plain', '--timeout=30s')
    await t.k('rollout', 'status', 'ds/fast', '--timeout=30s')
    const nodesOf = async (app: string) => (await activePods(`app=${app}`)).map((p) => p.spec?.nodeName).sort()
    expect(await nodesOf('agent')).toEqual(['cp', 'node-1', 'node-2', 'node-3'])
    expect(await nodesOf('plain')).toEqual(['node-1', 'node-2', 'node-3'])
    expect(await nodesOf('fast')).toEqual(['node-1', 'node-3'])

    const pod = (await activePods('app=agent'))[0]!
    expect(pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms).toEqual([
      { matchFields: [{ key: 'metadata.name', operator: 'In', values: [pod.spec?.nodeName] }] },
    ])
    const tolerations = pod.spec?.tolerations?.map((x) => `${x.key}:${x.effect}`)
    expect(tolerations).toEqual(
      expect.arrayContaining([
        'node.kubernetes.io/not-ready:NoExecute',
        'node.kubernetes.io/unreachable:NoExecute',
        'node.kubernetes.io/unschedulable:NoSchedule',
        'node.kubernetes.io/disk-pressure:NoSchedule',
      ]),
    )
    const d = (await client.get<DaemonSetObj>(RES.daemonsets, NS, 'agent'))!
    expect(d.status).toMatchObject({
      desiredNumberScheduled: 4,
      currentNumberScheduled: 4,
      numberReady: 4,
      numberAvailable: 4,
      updatedNumberScheduled: 4,
      numberMisscheduled: 0,
      observedGeneration: d.metadata?.generation,
    })

    // Rolling update (maxUnavailable 1): every pod replaced, history in ControllerRevisions.
    await t.k('set', 'image', 'ds/agent', 'agent=agent:2')
    await t.k('rollout', 'status', 'ds/agent', '--timeout=30s')
    await eventually('all agent pods on agent:2', async () => {
      const p = await activePods('app=agent')
      return p.length === 4 && p.every((x) => x.spec?.containers[0]?.image === 'agent:2')
    })
    const history = await t.k('rollout', 'history', 'ds/agent')
    expect(history).toMatch(/^1\s/m)
    expect(history).toMatch(/^2\s/m)

    // A node losing its label loses its pod.
    await client.patch(RES.nodes, undefined, 'node-3', { metadata: { labels: { disk: null } } }, 'merge')
    await eventually('fast only on node-1', async () => JSON.stringify(await nodesOf('fast')) === '["node-1"]')
  })
})

describe('StatefulSet controller', () => {
  it('creates ordinals in order with their PVCs, scales down from the top, and rolls updates', async () => {
    h = await startHarness([new StatefulSetController()])
    const { client, t } = h
    h.kubelet.ready = false
    await client.create(RES.statefulsets, NS, {
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: { name: 'db', namespace: NS },
      spec: {
        replicas: 3,
        serviceName: 'db',
        selector: { matchLabels: { app: 'db' } },
        // No volumeMount of "data": the API server's validation does not yet count volumeClaimTemplates as volumes.
        template: { metadata: { labels: { app: 'db' } }, spec: { containers: [{ name: 'db', image: 'db:1' }] } },
        volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }],
      },
    })
    // OrderedReady: db-1 waits until db-0 is Running and Ready.
    await eventually('db-0 created', async () => (await activePods('app=db')).length === 1)
    await new Promise((r) => setTimeout(r, 300))
    expect((await activePods('app=db')).map((p) => p.metadata?.name)).toEqual(['db-0'])
    const pvc0 = await client.get<PVCObj>(RES.pvcs, NS, 'data-db-0')
    expect(pvc0?.metadata?.labels).toEqual({ app: 'db' })
    h.kubelet.resume()
    await t.k('rollout', 'status', 'sts/db', '--timeout=30s')
    const pods = (await activePods('app=db')).sort((a, b) => String(a.metadata?.name).localeCompare(String(b.metadata?.name)))
    expect(pods.map((p) => p.metadata?.name)).toEqual(['db-0', 'db-1', 'db-2'])
    // Each pod was created only after the previous one was ready.
    for (let i = 1; i < 3; i++) {
      const readyAt = Date.parse(String(pods[i - 1]!.status?.conditions?.find((c) => c.type === 'Ready')?.lastTransitionTime))
      expect(Date.parse(String(pods[i]!.metadata?.creationTimestamp))).toBeGreaterThanOrEqual(readyAt)
    }
    for (const [i, p] of pods.entries()) {
      expect(p.spec?.hostname).toBe(`db-${i}`)
      expect(p.spec?.subdomain).toBe('db')
      expect(p.metadata?.labels).toMatchObject({ 'statefulset.kubernetes.io/pod-name': `db-${i}`, 'apps.kubernetes.io/pod-index': String(i) })
      expect(p.spec?.volumes?.find((v) => v.name === 'data')?.persistentVolumeClaim?.claimName).toBe(`data-db-${i}`)
    }
    const pvcs = (await list<PVCObj>(RES.pvcs)).map((p) => p.metadata?.name).sort()
    expect(pvcs).toEqual(['data-db-0', 'data-db-1', 'data-db-2'])
    let set = (await client.get<StatefulSetObj>(RES.statefulsets, NS, 'db'))!
    expect(set.status).toMatchObject({ replicas: 3, readyReplicas: 3, availableReplicas: 3, currentReplicas: 3, updatedReplicas: 3 })
    expect(set.status?.currentRevision).toBe(set.status?.updateRevision)
    expect(pods[0]!.metadata?.labels?.['controller-revision-hash']).toBe(set.status?.updateRevision)

    // Rolling update from the highest ordinal down.
    await t.k('set', 'image', 'sts/db', 'db=db:2')
    await t.k('rollout', 'status', 'sts/db', '--timeout=30s')
    set = (await client.get<StatefulSetObj>(RES.statefulsets, NS, 'db'))!
    expect(
      (await activePods('app=db')).every(
        (p) => p.spec?.containers[0]?.image === 'db:2' && p.metadata?.labels?.['controller-revision-hash'] === set.status?.updateRevision,
      ),
    ).toBe(true)
    const events = await t.k(
      'get',
      'events',
      '--field-selector',
      'involvedObject.name=db',
      '--sort-by=.metadata.creationTimestamp',
      '-o',
      'jsonpath={range .items[*]}{.message}{"\\n"}{end}',
    )
    const deletions = events.split('\n').filter((l) => l.startsWith('delete Pod'))
    expect(deletions.slice(0, 3)).toEqual([
      'delete Pod db-2 in StatefulSet db successful',
      'delete Pod db-1 in StatefulSet db successful',
      'delete Pod db-0 in StatefulSet db successful',
    ])
    expect(events).toContain('create Claim data-db-0 Pod db-0 in StatefulSet db success')

    // Scale down: the highest ordinal goes, its PVC stays (Retain).
    await t.k('scale', 'sts/db', '--replicas=1')
    await eventually('only db-0', async () => JSON.stringify((await activePods('app=db')).map((p) => p.metadata?.name)) === '["db-0"]')
    expect((await list<PVCObj>(RES.pvcs)).length).toBe(3)
  })
})
