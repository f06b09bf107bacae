// Acceptance tests of issue 3 with the real kubectl against a simulated cluster (API server,
// scheduler, controller manager and 3 hollow nodes in-process): deployments, scaling, rollouts,
// StatefulSets, DaemonSets, namespaces.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestCluster, type TestCluster } from '../helpers/cluster'

let t: TestCluster

interface PodView {
  name: string
  node: string
  phase: string
  ip: string
  ready: boolean
  terminating: boolean
  image: string
}

async function pods(selector: string, ns = 'default'): Promise<PodView[]> {
  const out = JSON.parse(await t.k('get', 'pods', '-n', ns, '-l', selector, '-o', 'json')) as {
    items: {
      metadata: { name: string; deletionTimestamp?: string }
      spec: { nodeName?: string; containers: { image: string }[] }
      status: { phase: string; podIP?: string; conditions?: { type: string; status: string }[] }
    }[]
  }
  return out.items.map((p) => ({
    name: p.metadata.name,
    node: p.spec.nodeName ?? '',
    phase: p.status.phase,
    ip: p.status.podIP ?? '',
    ready: p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false,
    terminating: !!p.metadata.deletionTimestamp,
    image: p.spec.containers[0]!.image,
  }))
}

/** Waits until exactly `n` live pods match and all are Running and Ready; returns them. */
function runningPods(selector: string, n: number, ns = 'default'): Promise<PodView[]> {
  return t.waitFor(`${n} running pods ${selector} in ${ns}`, async () => {
    const ps = (await pods(selector, ns)).filter((p) => !p.terminating && p.phase !== 'Succeeded' && p.phase !== 'Failed')
    return ps.length === n && ps.every((p) => p.phase === 'Running' && p.ready) ? ps : undefined
  })
}

beforeAll(async () => {
  t = await startTestCluster({ nodes: 3 })
  await t.waitFor('3 Ready nodes with podCIDRs', async () => {
    const nodes = JSON.parse(await t.k('get', 'nodes', '-o', 'json')) as {
      items: { spec: { podCIDR?: string }; status: { conditions: { type: string; status: string }[] } }[]
    }
    return nodes.items.length === 3 && nodes.items.every((n) => n.spec.podCIDR && n.status.conditions.some((c) => c.type === 'Ready' && c.status === 'True'))
  })
})

afterAll(async () => {
  await t?.close()
})

describe('simulated cluster: workloads with kubectl', () => {
  it('shows the hollow nodes as Ready kubelets', async () => {
    const out = await t.k('get', 'nodes', '-o', 'wide')
    expect(out).toMatch(/node-1\s+Ready\s+<none>\s+\S+\s+v1\.32\.4-kubelab\s+127\.0\.0\.1/)
    expect(out).toContain('simulated://1.0')
    const leases = await t.k('get', 'leases', '-n', 'kube-node-lease')
    for (const n of ['node-1', 'node-2', 'node-3']) expect(leases).toContain(n)
  })

  it('runs a deployment: pods Running on nodes with IPs from their podCIDR', async () => {
    await t.k('create', 'deployment', 'web', '--image=nginx', '--replicas=3')
    await t.k('rollout', 'status', 'deployment/web', '--timeout=60s')
    const ps = await runningPods('app=web', 3)
    const cidrs = JSON.parse(await t.k('get', 'nodes', '-o', 'json')) as { items: { metadata: { name: string }; spec: { podCIDR: string } }[] }
    for (const p of ps) {
      const cidr = cidrs.items.find((n) => n.metadata.name === p.node)!.spec.podCIDR
      expect(p.node).toMatch(/^node-[123]$/)
      expect(p.ip.split('.').slice(0, 3).join('.')).toBe(cidr.split('.').slice(0, 3).join('.'))
    }
    // Spreading: three replicas land on three different nodes.
    expect(new Set(ps.map((p) => p.node)).size).toBe(3)
    const wide = await t.k('get', 'pods', '-l', 'app=web', '-o', 'wide')
    expect(wide).toMatch(/web-\S+\s+1\/1\s+Running\s+0/)
    const describe = await t.k('describe', 'deployment', 'web')
    expect(describe).toMatch(/ScalingReplicaSet\s+.*Scaled up replica set web-\S+ from 0 to 3/)
  })

  it('scales a deployment up and down', async () => {
    await t.k('scale', 'deployment/web', '--replicas=5')
    await runningPods('app=web', 5)
    await t.k('scale', 'deployment/web', '--replicas=2')
    await runningPods('app=web', 2)
    const d = JSON.parse(await t.k('get', 'deployment', 'web', '-o', 'json')) as { status: { readyReplicas?: number; replicas?: number } }
    await t.waitFor('deployment status at 2 ready', async () => {
      const d2 = JSON.parse(await t.k('get', 'deployment', 'web', '-o', 'json')) as { status: { readyReplicas?: number; replicas?: number } }
      return d2.status.readyReplicas === 2 && d2.status.replicas === 2
    })
    expect(d.status).toBeDefined()
  })

  it('rolls out an image change, shows history and undoes it', async () => {
    await t.k('set', 'image', 'deployment/web', 'nginx=nginx:1.27')
    await t.k('rollout', 'status', 'deployment/web', '--timeout=60s')
    await t.waitFor('all web pods on nginx:1.27', async () => {
      const ps = (await pods('app=web')).filter((p) => !p.terminating)
      return ps.length === 2 && ps.every((p) => p.image === 'nginx:1.27' && p.phase === 'Running')
    })
    const history = await t.k('rollout', 'history', 'deployment/web')
    expect(history).toMatch(/REVISION\s+CHANGE-CAUSE/)
    expect(history).toMatch(/^1\s/m)
    expect(history).toMatch(/^2\s/m)
    await t.k('rollout', 'undo', 'deployment/web')
    await t.k('rollout', 'status', 'deployment/web', '--timeout=60s')
    await t.waitFor('all web pods back on nginx', async () => {
      const ps = (await pods('app=web')).filter((p) => !p.terminating)
      return ps.length === 2 && ps.every((p) => p.image === 'nginx' && p.phase === 'Running')
    })
    expect(await t.k('rollout', 'history', 'deployment/web')).toMatch(/^3\s/m)
  })

  it('starts StatefulSet pods in order with stable names', async () => {
    await t
      .kubectl(['apply', '-f', '-'], {
        input: `apiVersion: v1
kind: Service
metadata: {name: db}
spec: {clusterIP: None, selector: {app: db}, ports: [{port: 5432}]}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db}
spec:
  serviceName: db
  replicas: 3
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec: {containers: [{name: db, image: postgres}]}
`,
      })
      .then((r) => expect(r.stderr).toBe(''))
    const ps = await runningPods('app=db', 3)
    expect(ps.map((p) => p.name).sort()).toEqual(['db-0', 'db-1', 'db-2'])
    await t.k('scale', 'statefulset/db', '--replicas=1')
    const left = await runningPods('app=db', 1)
    expect(left[0]!.name).toBe('db-0')
  })

  it('runs a DaemonSet pod on every node', async () => {
    await t.kubectl(['apply', '-f', '-'], {
      input: `apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent}
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent}}
    spec: {containers: [{name: agent, image: busybox}]}
`,
    })
    const ps = await runningPods('app=agent', 3)
    expect(ps.map((p) => p.node).sort()).toEqual(['node-1', 'node-2', 'node-3'])
  })

  it('runs a Job to completion', async () => {
    await t.k('create', 'job', 'once', '--image=busybox')
    await t.k('wait', '--for=condition=complete', 'job/once', '--timeout=60s')
    const ps = await pods('job-name=once')
    expect(ps.length).toBe(1)
    expect(ps[0]!.phase).toBe('Succeeded')
    expect(await t.k('get', 'pods', '-l', 'job-name=once')).toMatch(/0\/1\s+Completed/)
  })

  it('deletes a namespace with everything in it', async () => {
    await t.k('create', 'namespace', 'scratch')
    await t.k('create', 'deployment', 'tmp', '--image=nginx', '--replicas=2', '-n', 'scratch')
    await runningPods('app=tmp', 2, 'scratch')
    await t.k('delete', 'namespace', 'scratch', '--timeout=60s')
    const r = await t.kubectl(['get', 'namespace', 'scratch'])
    expect(r.code).not.toBe(0)
    expect(r.stderr).toContain('NotFound')
    const left = JSON.parse(await t.k('get', 'pods', '-A', '-o', 'json')) as { items: { metadata: { namespace: string } }[] }
    expect(left.items.filter((p) => p.metadata.namespace === 'scratch')).toEqual([])
  })
})
