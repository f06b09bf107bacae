// The scheduler in-process against a real API server: nodes created through the client (as a
// kubelet would register them), pods created through the API, placement read back from it.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createClient, resourceRef, type ClosableClient } from '../../src-cluster/client'
import { startScheduler, type Scheduler } from '../../src-cluster/scheduler'
import type { KubeObject } from '../../src-cluster/api/object'
import { startTestApiServer, type TestApiServer } from '../helpers/apiserver'
import type { NodeObj, PodObj } from '../../src-cluster/kit/objects'

const PODS = resourceRef('v1', 'pods')
const NODES = resourceRef('v1', 'nodes')
const EVENTS = resourceRef('v1', 'events')

let t: TestApiServer
let client: ClosableClient
let scheduler: Scheduler

beforeEach(async () => {
  t = await startTestApiServer()
  client = createClient({ server: t.server.url, caPem: t.server.pki.ca.certPem, certPem: t.server.admin.certPem, keyPem: t.server.admin.keyPem })
  scheduler = await startScheduler({ client, log: () => {} })
})

afterEach(async () => {
  await scheduler?.stop()
  client?.close()
  await t.close()
})

interface NodeSpecIn {
  cpu?: string
  memory?: string
  labels?: Record<string, string>
  taints?: { key: string; value?: string; effect: string }[]
}

async function addNode(name: string, o: NodeSpecIn = {}): Promise<void> {
  const alloc = { cpu: o.cpu ?? '2', memory: o.memory ?? '4Gi', pods: '110' }
  const node: NodeObj = {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels: { 'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux', ...(o.labels ?? {}) } },
    spec: { taints: o.taints },
    status: { capacity: alloc, allocatable: alloc, conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'simulated' }] },
  }
  await client.create(NODES, undefined, node)
}

async function addPod(
  name: string,
  spec: Partial<NonNullable<PodObj['spec']>> = {},
  o: { cpu?: string; labels?: Record<string, string>; ports?: number[] } = {},
): Promise<void> {
  const pod: PodObj = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', labels: o.labels ?? {} },
    spec: {
      containers: [
        {
          name: 'app',
          image: 'busybox',
          resources: o.cpu ? { requests: { cpu: o.cpu } } : undefined,
          ports: o.ports?.map((p) => ({ containerPort: p, hostPort: p })),
        },
      ],
      ...spec,
    },
  }
  await client.create(PODS, 'default', pod)
}

async function nodeOf(name: string): Promise<string | undefined> {
  const p = await client.get<PodObj>(PODS, 'default', name)
  return p?.spec?.nodeName
}

async function boundTo(name: string): Promise<string> {
  let node: string | undefined
  await vi.waitFor(
    async () => {
      node = await nodeOf(name)
      if (!node) throw new Error(`pod ${name} is not bound yet`)
    },
    { timeout: 20_000, interval: 50 },
  )
  return node!
}

async function unschedulableMessage(name: string): Promise<string> {
  let msg = ''
  await vi.waitFor(
    async () => {
      const p = await client.get<PodObj>(PODS, 'default', name)
      const c = p?.status?.conditions?.find((x) => x.type === 'PodScheduled')
      if (!c || c.status !== 'False' || c.reason !== 'Unschedulable') throw new Error(`pod ${name} has no PodScheduled=False condition yet`)
      msg = c.message ?? ''
    },
    { timeout: 20_000, interval: 50 },
  )
  return msg
}

async function eventsFor(name: string): Promise<{ reason: string; type: string; message: string }[]> {
  const list = await client.list<KubeObject & { reason?: string; type?: string; message?: string; involvedObject?: { name?: string } }>(EVENTS, {
    namespace: 'default',
  })
  return list.items.filter((e) => e.involvedObject?.name === name).map((e) => ({ reason: e.reason ?? '', type: e.type ?? '', message: e.message ?? '' }))
}

describe('scheduler against the API server', () => {
  it('binds pods where their CPU fits and records a Scheduled event', async () => {
    await addNode('small', { cpu: '1' })
    await addNode('big', { cpu: '4' })
    await addPod('heavy', {}, { cpu: '3' })
    expect(await boundTo('heavy')).toBe('big')
    await vi.waitFor(async () => {
      expect(await eventsFor('heavy')).toContainEqual({ reason: 'Scheduled', type: 'Normal', message: 'Successfully assigned default/heavy to big' })
    })
    const p = await client.get<PodObj>(PODS, 'default', 'heavy')
    expect(p?.status?.conditions?.find((c) => c.type === 'PodScheduled')?.status).toBe('True')
    // The big node now has 1 CPU left: the next 2-CPU pod must wait, a 1-CPU pod goes to either.
    await addPod('second', {}, { cpu: '2' })
    expect(await unschedulableMessage('second')).toBe(
      '0/2 nodes are available: 2 Insufficient cpu. preemption: 0/2 nodes are available: 2 No preemption victims found for incoming pod.',
    )
  })

  it('honours nodeSelector, taints and tolerations, and cordoned nodes (with kubectl)', async () => {
    await addNode('ssd-node', { labels: { disk: 'ssd' } })
    await addNode('gpu-node', { taints: [{ key: 'gpu', value: 'true', effect: 'NoSchedule' }] })
    await addNode('plain')
    await addPod('wants-ssd', { nodeSelector: { disk: 'ssd' } })
    expect(await boundTo('wants-ssd')).toBe('ssd-node')
    await addPod('gpu-job', {
      tolerations: [{ key: 'gpu', operator: 'Equal', value: 'true', effect: 'NoSchedule' }],
      nodeSelector: { 'kubernetes.io/hostname': 'gpu-node' },
    })
    expect(await boundTo('gpu-job')).toBe('gpu-node')
    await t.k('cordon', 'plain')
    await t.k('cordon', 'ssd-node')
    for (const n of ['a', 'b', 'c']) await addPod(`any-${n}`)
    const msg = await unschedulableMessage('any-a')
    expect(msg).toBe(
      '0/3 nodes are available: 1 node(s) had untolerated taint {gpu: true}, 2 node(s) were unschedulable. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.',
    )
    const described = await t.k('describe', 'pod', 'any-a')
    expect(described).toContain('FailedScheduling')
    expect(described).toContain('2 node(s) were unschedulable')
    // Uncordoning is a node change: the parked pods are retried without any polling.
    await t.k('uncordon', 'plain')
    for (const n of ['a', 'b', 'c']) expect(await boundTo(`any-${n}`)).toBe('plain')
  })

  it('spreads 3 replicas with required anti-affinity over 3 nodes; a 4th stays Pending', async () => {
    for (const n of ['n1', 'n2', 'n3']) await addNode(n)
    const anti = {
      affinity: {
        podAntiAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app: 'web' } }, topologyKey: 'kubernetes.io/hostname' }],
        },
      },
    }
    for (const i of [1, 2, 3, 4]) await addPod(`web-${i}`, anti, { labels: { app: 'web' } })
    const nodes = await Promise.all([1, 2, 3].map((i) => boundTo(`web-${i}`)))
    const placed = new Set(nodes)
    expect(placed.size).toBe(3)
    const pendingOne = (await nodeOf('web-4')) === undefined ? 'web-4' : undefined
    expect(pendingOne).toBe('web-4')
    expect(await unschedulableMessage('web-4')).toBe(
      "0/3 nodes are available: 3 node(s) didn't match pod anti-affinity rules. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.",
    )
    // Deleting one replica frees its host: the pending one takes it.
    await client.delete(PODS, 'default', 'web-2', { gracePeriodSeconds: 0 })
    expect(await boundTo('web-4')).toBe(nodes[1])
  })

  it('keeps host ports apart', async () => {
    await addNode('h1')
    await addNode('h2')
    await addPod('p1', {}, { ports: [8080] })
    await addPod('p2', {}, { ports: [8080] })
    const a = await boundTo('p1')
    const b = await boundTo('p2')
    expect(a).not.toBe(b)
    await addPod('p3', {}, { ports: [8080] })
    expect(await unschedulableMessage('p3')).toBe(
      "0/2 nodes are available: 2 node(s) didn't have free ports for the requested pod ports. preemption: 0/2 nodes are available: 2 No preemption victims found for incoming pod.",
    )
  })

  it('a pod that fits nowhere stays Pending with FailedScheduling, and a new node lets it schedule', async () => {
    await addPod('early')
    expect(await unschedulableMessage('early')).toBe('no nodes available to schedule pods')
    await addNode('tiny', { cpu: '500m' })
    expect(await boundTo('early')).toBe('tiny')
    await addPod('huge', {}, { cpu: '8' })
    expect(await unschedulableMessage('huge')).toBe(
      '0/1 nodes are available: 1 Insufficient cpu. preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod.',
    )
    await vi.waitFor(async () => {
      expect(await eventsFor('huge')).toContainEqual({
        reason: 'FailedScheduling',
        type: 'Warning',
        message: '0/1 nodes are available: 1 Insufficient cpu. preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod.',
      })
    })
    const get = await t.k('get', 'pod', 'huge', '-o', 'jsonpath={.status.phase}')
    expect(get).toBe('Pending')
    await addNode('large', { cpu: '16' })
    expect(await boundTo('huge')).toBe('large')
  })
})
