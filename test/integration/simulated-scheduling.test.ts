// Acceptance tests of issue 3 (placement and failures) with the real kubectl against a
// simulated cluster: taints/tolerations, nodeSelector and affinity, an unschedulable pod,
// cordon/drain with a PDB, a stopped node whose pods move, and an HPA on synthetic CPU load.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestCluster, type TestCluster } from '../helpers/cluster'

let t: TestCluster

interface PodView {
  name: string
  node: string
  phase: string
  ready: boolean
  terminating: boolean
}

async function pods(selector: string): Promise<PodView[]> {
  const out = JSON.parse(await t.k('get', 'pods', '-l', selector, '-o', 'json')) as {
    items: {
      metadata: { name: string; deletionTimestamp?: string }
      spec: { nodeName?: string }
      status: { phase: string; conditions?: { type: string; status: string }[] }
    }[]
  }
  return out.items.map((p) => ({
    name: p.metadata.name,
    node: p.spec.nodeName ?? '',
    phase: p.status.phase,
    ready: p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false,
    terminating: !!p.metadata.deletionTimestamp,
  }))
}

function runningPods(selector: string, n: number, timeoutMs?: number): Promise<PodView[]> {
  return t.waitFor(
    `${n} running pods ${selector}`,
    async () => {
      const ps = (await pods(selector)).filter((p) => !p.terminating)
      return ps.length === n && ps.every((p) => p.phase === 'Running' && p.ready) ? ps : undefined
    },
    { timeoutMs },
  )
}

const apply = async (yaml: string): Promise<void> => {
  const r = await t.kubectl(['apply', '-f', '-'], { input: yaml })
  if (r.code !== 0) throw new Error(`kubectl apply failed: ${r.stderr}`)
}

beforeAll(async () => {
  t = await startTestCluster({
    nodes: 3,
    // Fast node failure detection so the "stop a node" test runs in seconds of real time.
    controllerOptions: { nodeMonitorGracePeriodSeconds: 3, nodeMonitorPeriodSeconds: 1, horizontalPodAutoscalerSyncPeriodSeconds: 1 },
    nodeOptions: { heartbeatMs: 500 },
    controlSocket: true,
  })
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

describe('simulated cluster: scheduling and failures with kubectl', () => {
  it('keeps pods off tainted nodes unless they tolerate the taint', async () => {
    await t.k('taint', 'nodes', 'node-1', 'node-2', 'dedicated=gpu:NoSchedule')
    await t.k('create', 'deployment', 'plain', '--image=nginx', '--replicas=3')
    const plain = await runningPods('app=plain', 3)
    expect(new Set(plain.map((p) => p.node))).toEqual(new Set(['node-3']))
    await apply(`apiVersion: v1
kind: Pod
metadata: {name: gpu-job, labels: {app: gpu}}
spec:
  nodeSelector: {kubernetes.io/hostname: node-1}
  tolerations: [{key: dedicated, operator: Equal, value: gpu, effect: NoSchedule}]
  containers: [{name: c, image: busybox}]
`)
    const gpu = await runningPods('app=gpu', 1)
    expect(gpu[0]!.node).toBe('node-1')
    await t.k('taint', 'nodes', 'node-1', 'node-2', 'dedicated=gpu:NoSchedule-')
    await t.k('delete', 'deployment', 'plain')
    await t.k('delete', 'pod', 'gpu-job')
  })

  it('places pods by nodeSelector and node affinity', async () => {
    await t.k('label', 'node', 'node-2', 'disk=ssd')
    await apply(`apiVersion: v1
kind: Pod
metadata: {name: on-ssd, labels: {app: placed}}
spec:
  nodeSelector: {disk: ssd}
  containers: [{name: c, image: nginx}]
---
apiVersion: v1
kind: Pod
metadata: {name: on-3, labels: {app: placed}}
spec:
  affinity:
    nodeAffinity:
      requiredDuringSchedulingIgnoredDuringExecution:
        nodeSelectorTerms: [{matchExpressions: [{key: kubernetes.io/hostname, operator: In, values: [node-3]}]}]
  containers: [{name: c, image: nginx}]
`)
    const ps = await runningPods('app=placed', 2)
    expect(Object.fromEntries(ps.map((p) => [p.name, p.node]))).toEqual({ 'on-ssd': 'node-2', 'on-3': 'node-3' })
    await t.k('delete', 'pods', '-l', 'app=placed')
    await t.k('label', 'node', 'node-2', 'disk-')
  })

  it('leaves a pod that fits nowhere Pending with a FailedScheduling event', async () => {
    await apply(`apiVersion: v1
kind: Pod
metadata: {name: huge, labels: {app: huge}}
spec:
  containers: [{name: c, image: nginx, resources: {requests: {cpu: "100"}}}]
`)
    const describe = await t.waitFor('FailedScheduling on pod huge', async () => {
      const d = await t.k('describe', 'pod', 'huge')
      return d.includes('FailedScheduling') ? d : undefined
    })
    expect(describe).toContain('0/3 nodes are available: 3 Insufficient cpu.')
    expect(describe).toMatch(/Status:\s+Pending/)
    const p = JSON.parse(await t.k('get', 'pod', 'huge', '-o', 'json')) as {
      spec: { nodeName?: string }
      status: { conditions: { type: string; status: string; reason?: string }[] }
    }
    expect(p.spec.nodeName).toBeUndefined()
    expect(p.status.conditions).toContainEqual(expect.objectContaining({ type: 'PodScheduled', status: 'False', reason: 'Unschedulable' }))
    await t.k('delete', 'pod', 'huge')
  })

  it('cordons and drains a node while a PDB keeps enough replicas up', async () => {
    await t.k('create', 'deployment', 'api', '--image=nginx', '--replicas=3')
    await runningPods('app=api', 3)
    await t.k('create', 'poddisruptionbudget', 'api', '--selector=app=api', '--min-available=2')
    await t.waitFor('PDB allows 1 disruption', async () => {
      const pdb = JSON.parse(await t.k('get', 'pdb', 'api', '-o', 'json')) as { status?: { disruptionsAllowed?: number } }
      return pdb.status?.disruptionsAllowed === 1
    })
    await t.k('cordon', 'node-1')
    expect(await t.k('get', 'node', 'node-1')).toContain('SchedulingDisabled')
    const r = await t.kubectl(['drain', 'node-1', '--ignore-daemonsets', '--delete-emptydir-data', '--timeout=90s'], { timeoutMs: 100_000 })
    expect(r.stderr + r.stdout).toContain('node/node-1 drained')
    const ps = await runningPods('app=api', 3)
    expect(ps.some((p) => p.node === 'node-1')).toBe(false)
    await t.k('uncordon', 'node-1')
    await t.k('delete', 'pdb', 'api')
    await t.k('delete', 'deployment', 'api')
  })

  it('moves the pods of a stopped node to the other nodes', async () => {
    await apply(`apiVersion: apps/v1
kind: Deployment
metadata: {name: mover}
spec:
  replicas: 3
  selector: {matchLabels: {app: mover}}
  template:
    metadata: {labels: {app: mover}}
    spec:
      tolerations:
      - {key: node.kubernetes.io/unreachable, operator: Exists, effect: NoExecute, tolerationSeconds: 1}
      - {key: node.kubernetes.io/not-ready, operator: Exists, effect: NoExecute, tolerationSeconds: 1}
      containers: [{name: c, image: nginx}]
`)
    const before = await runningPods('app=mover', 3)
    const victim = before[0]!.node
    t.cp.nodes!.nodes.stopNode(victim)
    await t.waitFor(`${victim} NotReady`, async () => {
      const out = await t.k('get', 'node', victim)
      return /NotReady/.test(out)
    })
    const node = JSON.parse(await t.k('get', 'node', victim, '-o', 'json')) as { spec: { taints?: { key: string; effect: string }[] } }
    expect(node.spec.taints).toContainEqual(expect.objectContaining({ key: 'node.kubernetes.io/unreachable', effect: 'NoExecute' }))
    const after = await runningPods('app=mover', 3)
    expect(after.every((p) => p.node !== victim)).toBe(true)
    t.cp.nodes!.nodes.startNode(victim)
    await t.waitFor(`${victim} Ready again`, async () => / Ready /.test(await t.k('get', 'node', victim)))
    await t.k('delete', 'deployment', 'mover')
  })

  it('scales a deployment up with an HPA on synthetic CPU load', async () => {
    await apply(`apiVersion: apps/v1
kind: Deployment
metadata: {name: busy}
spec:
  replicas: 1
  selector: {matchLabels: {app: busy}}
  template:
    metadata:
      labels: {app: busy}
      annotations: {kubelab.dev/simulated-cpu: 250m}
    spec:
      containers: [{name: c, image: nginx, resources: {requests: {cpu: 100m}}}]
`)
    await runningPods('app=busy', 1)
    const top = await t.waitFor('kubectl top pods shows 250m', async () => {
      const r = await t.kubectl(['top', 'pods', '-l', 'app=busy'])
      return r.code === 0 && r.stdout.includes('250m') ? r.stdout : undefined
    })
    expect(top).toMatch(/busy-\S+\s+250m/)
    await t.k('autoscale', 'deployment', 'busy', '--cpu-percent=50', '--min=1', '--max=4')
    await t.waitFor(
      'HPA scaled busy up',
      async () => {
        const d = JSON.parse(await t.k('get', 'deployment', 'busy', '-o', 'json')) as { spec: { replicas: number } }
        return d.spec.replicas > 1
      },
      { timeoutMs: 60_000 },
    )
    const hpa = await t.k('describe', 'hpa', 'busy')
    expect(hpa).toContain('SuccessfulRescale')
  })
})
