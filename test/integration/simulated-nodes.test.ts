// Hollow kubelets on their own (no scheduler or controllers): registration, lease heartbeats,
// the pod lifecycle step by step on a FakeClock, the metrics endpoint and the control API.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { join } from 'node:path'
import type { Lease } from 'kubernetes-types/coordination/v1'
import type { Node, Pod } from 'kubernetes-types/core/v1'
import { fetchSummary } from '../../src-cluster/apiserver/metrics/kubelet-client'
import { createClient, type ClosableClient } from '../../src-cluster/client'
import { controlRequest, kubeletServingTls, SimulatedNodes, startControlServer, type ControlServer } from '../../src-cluster/simulated'
import { FakeClock } from '../../src-cluster/util/clock'
import { startTestApiServer, type TestApiServer } from '../helpers/apiserver'
import type { PodObj } from '../../src-cluster/kit/objects'
import { RES } from '../../src-cluster/kit/resources'
import { until as poll } from '../helpers/wait'

let t: TestApiServer
let client: ClosableClient
let sim: SimulatedNodes
let control: ControlServer
const clock = new FakeClock(Date.UTC(2026, 0, 1))
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

const until = <T>(what: string, f: () => Promise<T>, advanceMs = 0) =>
  poll(what, f, { maxAttempts: 300, pause: () => (advanceMs && clock.advance(advanceMs), sleep(20)) })

const getPod = (name: string): Promise<Pod> => t.k('get', 'pod', name, '-o', 'json').then((s) => JSON.parse(s) as Pod)
const getNode = (name: string): Promise<Node> => t.k('get', 'node', name, '-o', 'json').then((s) => JSON.parse(s) as Node)
const getLease = (name: string): Promise<Lease> => t.k('get', 'lease', '-n', 'kube-node-lease', name, '-o', 'json').then((s) => JSON.parse(s) as Lease)

beforeAll(async () => {
  t = await startTestApiServer({ now: () => clock.now() })
  client = createClient({ server: t.server.url, caPem: t.server.pki.ca.certPem, certPem: t.server.admin.certPem, keyPem: t.server.admin.keyPem })
  sim = new SimulatedNodes({
    client,
    clock,
    count: 2,
    controlPlaneNode: 'control-plane',
    startDelayMs: 1000,
    runTimeMs: 5000,
    shutdownMs: 500,
    cpu: '2',
    memory: '4Gi',
    pods: 50,
    tls: kubeletServingTls(t.server.pki.ca, '127.0.0.1'),
    log: () => {},
  })
  await sim.start()
  control = await startControlServer(sim, join(t.dir, 'control.sock'))
})

afterAll(async () => {
  await control?.close()
  await sim?.stop()
  client?.close()
  await t?.close()
})

describe('simulated nodes', () => {
  it('register Nodes the way a kubelet does', async () => {
    const n = await getNode('node-1')
    expect(n.status?.capacity).toMatchObject({ cpu: '2', memory: '4Gi', pods: '50' })
    expect(n.status?.allocatable).toMatchObject({ cpu: '2', memory: '4Gi', pods: '50' })
    expect(n.status?.nodeInfo).toMatchObject({ kubeletVersion: 'v1.32.4-kubelab', containerRuntimeVersion: 'simulated://1.0', operatingSystem: 'linux' })
    expect(n.status?.addresses).toContainEqual({ type: 'InternalIP', address: '127.0.0.1' })
    expect(n.metadata?.labels).toMatchObject({ 'kubernetes.io/hostname': 'node-1', 'kubernetes.io/os': 'linux' })
    expect(n.status?.conditions?.find((c) => c.type === 'Ready')).toMatchObject({ status: 'True', reason: 'KubeletReady' })
    const cp = await getNode('control-plane')
    expect(cp.metadata?.labels).toHaveProperty('node-role.kubernetes.io/control-plane', '')
    expect(cp.spec?.taints).toContainEqual({ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' })
    expect(await t.k('get', 'nodes')).toMatch(/control-plane\s+Ready\s+control-plane/)
  })

  it('renew their leases every 10 s of clock time', async () => {
    const before = (await getLease('node-2')).spec?.renewTime
    expect((await getLease('node-2')).spec?.holderIdentity).toBe('node-2')
    clock.advance(10_000)
    const after = await until('a renewed lease', async () => {
      const r = (await getLease('node-2')).spec?.renewTime
      return r !== before ? r : undefined
    })
    expect(Date.parse(String(after)) - Date.parse(String(before))).toBe(10_000)
  })

  it('wait for a podCIDR, then take a pod through its init containers to Running and Succeeded', async () => {
    await t.kubectl(['apply', '-f', '-'], {
      input: `apiVersion: v1
kind: Pod
metadata: {name: job-like}
spec:
  nodeName: node-1
  restartPolicy: Never
  initContainers: [{name: first, image: busybox}, {name: second, image: busybox}]
  containers: [{name: main, image: busybox}]
`,
    })
    // Accepted at once (hostIP, waiting containers) but no IP without a podCIDR.
    const accepted = await until('pod accepted', async () => {
      const p = await getPod('job-like')
      return p.status?.hostIP ? p : undefined
    })
    expect(accepted.status?.phase).toBe('Pending')
    expect(accepted.status?.podIP).toBeUndefined()
    clock.advance(5000)
    await sleep(200)
    expect((await getPod('job-like')).status?.initContainerStatuses?.[0]?.state?.waiting).toBeDefined()
    await t.k('patch', 'node', 'node-1', '-p', '{"spec":{"podCIDR":"10.244.7.0/24","podCIDRs":["10.244.7.0/24"]}}')
    const first = await until('first init container running', async () => {
      const p = await getPod('job-like')
      return p.status?.initContainerStatuses?.[0]?.state?.running ? p : undefined
    })
    expect(first.status?.podIP).toMatch(/^10\.244\.7\.\d+$/)
    expect(await t.k('get', 'pod', 'job-like')).toMatch(/Init:0\/2/)
    const second = await until(
      'second init container running',
      async () => {
        const p = await getPod('job-like')
        return p.status?.initContainerStatuses?.[1]?.state?.running ? p : undefined
      },
      1000,
    )
    expect(second.status?.initContainerStatuses?.[0]?.state?.terminated).toMatchObject({ exitCode: 0, reason: 'Completed' })
    const running = await until(
      'pod Running',
      async () => {
        const p = await getPod('job-like')
        return p.status?.phase === 'Running' ? p : undefined
      },
      1000,
    )
    expect(running.status?.containerStatuses?.[0]).toMatchObject({ name: 'main', ready: true, restartCount: 0, started: true })
    expect(running.status?.containerStatuses?.[0]?.imageID).toMatch(/@sha256:[0-9a-f]{64}$/)
    expect(running.status?.conditions?.map((c) => `${c.type}=${c.status}`)).toEqual(
      expect.arrayContaining(['PodScheduled=True', 'Initialized=True', 'ContainersReady=True', 'Ready=True']),
    )
    const done = await until(
      'pod Succeeded',
      async () => {
        const p = await getPod('job-like')
        return p.status?.phase === 'Succeeded' ? p : undefined
      },
      1000,
    )
    expect(done.status?.containerStatuses?.[0]?.state?.terminated).toMatchObject({ exitCode: 0, reason: 'Completed' })
    expect(await t.k('get', 'pod', 'job-like')).toMatch(/0\/1\s+Completed/)
  })

  it('make a running pod Ready again when their node returns after the node controller marked it NotReady', async () => {
    await t.kubectl(['apply', '-f', '-'], {
      input: 'apiVersion: v1\nkind: Pod\nmetadata: {name: comeback}\nspec:\n  nodeName: node-1\n  containers: [{name: main, image: nginx}]\n',
    })
    const running = await until(
      'pod Running',
      async () => {
        const p = await getPod('comeback')
        return p.status?.phase === 'Running' ? p : undefined
      },
      1000,
    )
    const startedAt = running.status?.containerStatuses?.[0]?.state?.running?.startedAt
    sim.stopNode('node-1')
    // What the node controller does to pods on a node that stopped reporting (MarkPodsNotReady).
    const pod = (await client.get<PodObj>(RES.pods, 'default', 'comeback'))!
    const conditions = pod.status!.conditions!.map((c) => (c.type === 'Ready' ? { ...c, status: 'False', reason: 'NodeNotReady' } : c))
    await client.update(RES.pods, { ...pod, status: { ...pod.status, conditions } }, { subresource: 'status' })
    clock.advance(5000)
    await sleep(200)
    // A stopped node posts nothing: the pod stays as the node controller left it.
    expect((await getPod('comeback')).status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('False')
    sim.startNode('node-1')
    const back = await until('pod Ready again', async () => {
      const p = await getPod('comeback')
      return p.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True' ? p : undefined
    })
    // Same containers, still running since before: only the status is reconciled.
    expect(back.status?.containerStatuses?.[0]?.state?.running?.startedAt).toBe(startedAt)
    await t.k('delete', 'pod', 'comeback', '--wait=false')
  })

  it('fail a pod whose annotation asks for a non-zero exit code', async () => {
    await t.kubectl([
      'run',
      'crasher',
      '--image=busybox',
      '--restart=Never',
      '--annotations=kubelab.dev/simulated-exit-code=3',
      '--overrides={"spec":{"nodeName":"node-1"}}',
    ])
    const p = await until(
      'pod Failed',
      async () => {
        const x = await getPod('crasher')
        return x.status?.phase === 'Failed' ? x : undefined
      },
      1000,
    )
    expect(p.status?.containerStatuses?.[0]?.state?.terminated).toMatchObject({ exitCode: 3, reason: 'Error' })
  })

  it('serve synthetic usage from the pod annotation on the metrics endpoint', async () => {
    await t.kubectl(['run', 'busy', '--image=nginx', '--annotations=kubelab.dev/simulated-cpu=250m', '--overrides={"spec":{"nodeName":"node-1"}}'])
    await until('busy Running', async () => (await getPod('busy')).status?.phase === 'Running', 1000)
    const summary = await fetchSummary(t.server.pki, await getNode('node-1'))
    const busy = summary.pods.find((p) => p.name === 'busy')
    expect(busy?.containers[0]?.cpuNanoCores).toBe(250_000_000)
    expect(summary.node.cpuNanoCores).toBeGreaterThan(250_000_000)
  })

  it('delete terminating pods after a short simulated shutdown', async () => {
    await t.k('delete', 'pod', 'busy', '--wait=false')
    expect((await getPod('busy')).metadata?.deletionTimestamp).toBeDefined()
    await until('busy gone', async () => (await t.kubectl(['get', 'pod', 'busy'])).code !== 0, 500)
  })

  it('stop and start one node through the control API', async () => {
    const sock = join(t.dir, 'control.sock')
    await controlRequest(sock, 'POST', '/nodes/node-2/stop')
    expect((await controlRequest<{ nodes: { name: string; running: boolean }[] }>(sock, 'GET', '/nodes')).nodes).toContainEqual({
      name: 'node-2',
      running: false,
    })
    const before = (await getLease('node-2')).spec?.renewTime
    clock.advance(30_000)
    await sleep(200)
    expect((await getLease('node-2')).spec?.renewTime).toBe(before)
    await expect(fetchSummary(t.server.pki, await getNode('node-2'))).rejects.toThrow(/503/)
    await controlRequest(sock, 'POST', '/nodes/node-2/start')
    await until('lease renewed after start', async () => (await getLease('node-2')).spec?.renewTime !== before)
    await expect(controlRequest(sock, 'POST', '/nodes/nope/stop')).rejects.toThrow(/not simulated here/)
  })
})
