// Workloads on a 1+2 `local` cluster (root, real containers), all through the real kubectl and
// the real `kubelab` CLI, one cluster for the whole file: node roles as `kubectl get nodes`
// shows them; a Deployment of the local busybox httpd image spread over both workers, scaled
// up and down, rolled out to a second locally loaded tag and rolled back to its old
// ReplicaSet; then a node failure drill: `kubelab node stop` a worker, its pods are recreated
// on the other worker (NotReady → unreachable taint → eviction), `kubelab node start` brings
// it back Ready.
//
// Eviction timing: the controller manager on a local cluster runs with upstream's defaults
// (node-monitor-grace-period 40s; the API server gives pods a 300 s default toleration of the
// not-ready/unreachable taints). Nothing is shortened for the cluster: the Deployment here
// declares its own tolerations with tolerationSeconds 5, as a user would in any Kubernetes.
import { existsSync, rmSync, writeFileSync } from 'node:fs'
import { get } from 'node:http'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { busyboxImageSpec, writeImage } from '../../provisioning/images'
import { clusterHome } from '../helpers/cli'
import { eventually as retry } from '../helpers/wait'

const cluster = 'l5a'
const { home, clusterDir, kubelab, kubectl } = clusterHome(cluster, { prefix: '/tmp/kl-l5a-', kubectl: { timeoutMs: 180_000 } })

/** Retries until `f` returns without throwing (bounded: a bound, not a timing assertion). */
/** Retries `f` until it passes (kubectl once a second), printing how long it took. */
const eventually = <T>(what: string, f: () => Promise<T>, ms = 120_000): Promise<T> => retry(what, f, { timeoutMs: ms, intervalMs: 1000, log: true })

interface PodView {
  name: string
  node?: string
  image: string
  ready: boolean
  terminating: boolean
  rs?: string
}

/** Status code of one GET, bounded in time. */
function httpStatus(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = get(url, { timeout: 5000 }, (res) => {
      res.resume()
      resolve(res.statusCode ?? 0)
    })
    req.on('timeout', () => req.destroy(new Error(`no answer from ${url} in 5 s`)))
    req.on('error', reject)
  })
}

async function webPods(): Promise<PodView[]> {
  const list = JSON.parse(await kubectl('get', 'pods', '-l', 'app=web', '-o', 'json')) as {
    items: {
      metadata: { name: string; deletionTimestamp?: string; ownerReferences?: { name: string }[] }
      spec: { nodeName?: string; containers: { image: string }[] }
      status: { conditions?: { type: string; status: string }[] }
    }[]
  }
  return list.items.map((p) => ({
    name: p.metadata.name,
    node: p.spec.nodeName,
    image: p.spec.containers[0]!.image,
    ready: p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true,
    terminating: !!p.metadata.deletionTimestamp,
    rs: p.metadata.ownerReferences?.[0]?.name,
  }))
}

async function replicaSets(): Promise<{ name: string; replicas: number; revision: string; image: string }[]> {
  const list = JSON.parse(await kubectl('get', 'rs', '-l', 'app=web', '-o', 'json')) as {
    items: {
      metadata: { name: string; annotations?: Record<string, string> }
      spec: { replicas?: number; template: { spec: { containers: { image: string }[] } } }
    }[]
  }
  return list.items.map((r) => ({
    name: r.metadata.name,
    replicas: r.spec.replicas ?? 0,
    revision: r.metadata.annotations?.['deployment.kubernetes.io/revision'] ?? '',
    image: r.spec.template.spec.containers[0]!.image,
  }))
}

/** Waits until exactly `n` live pods of the Deployment are Ready with `image` (and none other is left). */
async function settled(n: number, image: string, ms = 180_000): Promise<PodView[]> {
  return eventually(
    `${n} web pods Ready on ${image}`,
    async () => {
      const pods = await webPods()
      const live = pods.filter((p) => !p.terminating)
      if (live.length !== n || !live.every((p) => p.ready && p.image === image)) throw new Error(`pods: ${JSON.stringify(pods)}`)
      if (pods.length !== n) throw new Error(`old pods still terminating: ${JSON.stringify(pods.filter((p) => p.terminating))}`)
      return live
    },
    ms,
  )
}

const V1 = 'kubelab.local/busybox:1'
const V2 = 'kubelab.local/busybox:2'
const manifest = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 4
  selector:
    matchLabels: { app: web }
  template:
    metadata:
      labels: { app: web }
    spec:
      # Leave a failed node after 5 s instead of the default 300 s (the node failure drill).
      tolerations:
        - { key: node.kubernetes.io/unreachable, operator: Exists, effect: NoExecute, tolerationSeconds: 5 }
        - { key: node.kubernetes.io/not-ready, operator: Exists, effect: NoExecute, tolerationSeconds: 5 }
      terminationGracePeriodSeconds: 2
      containers:
        - name: web
          image: ${V1}
          command: [httpd, -f, -p, "80", -h, /var/www]
`

beforeAll(async () => {
  await kubelab('create', cluster, '--provider', 'local', '--workers', '2', '--timeout', '240')
  // A second tag of the same image, loaded like any user image: the rollout's new template.
  const tar = join(home, 'busybox-2.tar')
  await writeImage(busyboxImageSpec(V2), tar)
  await kubelab('image', 'load', cluster, tar)
}, 420_000)

afterAll(async () => {
  if (existsSync(join(clusterDir, 'cluster.json'))) await kubelab('delete', cluster).catch((e: unknown) => console.error(String(e)))
  rmSync(home, { recursive: true, force: true })
}, 180_000)

describe('workloads on a local 1+2 cluster', () => {
  it('shows the control-plane role on the master only', async () => {
    const rows = (await kubectl('get', 'nodes', '--no-headers'))
      .trim()
      .split('\n')
      .map((l) => l.trim().split(/\s+/))
    const roles = Object.fromEntries(rows.map((r) => [r[0], r[2]]))
    expect(roles).toEqual({ 'control-plane': 'control-plane', 'node-1': '<none>', 'node-2': '<none>' })
    const labels = JSON.parse(await kubectl('get', 'node', 'node-1', '-o', 'jsonpath={.metadata.labels}')) as Record<string, string>
    expect(Object.keys(labels).filter((k) => k.startsWith('node-role.kubernetes.io/'))).toEqual([])
  })

  let firstRs = ''
  it('spreads a 4-replica Deployment over both workers', async () => {
    const file = join(home, 'web.yaml')
    writeFileSync(file, manifest)
    expect(await kubectl('apply', '-f', file)).toContain('deployment.apps/web created')
    await kubectl('rollout', 'status', 'deployment/web', '--timeout=180s')
    const pods = await settled(4, V1)
    expect(new Set(pods.map((p) => p.node))).toEqual(new Set(['node-1', 'node-2']))
    const rs = await replicaSets()
    expect(rs).toHaveLength(1)
    firstRs = rs[0]!.name
    // Every replica serves the page.
    const ip = await kubectl('get', 'pod', pods[0]!.name, '-o', 'jsonpath={.status.podIP}')
    expect(await eventually('httpd answers in a web pod', () => kubectl('exec', pods[1]!.name, '--', 'wget', '-qO-', ip))).toContain('KubeLab busybox')
  }, 300_000)

  it('scales up and down', async () => {
    await kubectl('scale', 'deployment/web', '--replicas=6')
    await kubectl('rollout', 'status', 'deployment/web', '--timeout=180s')
    expect(new Set((await settled(6, V1)).map((p) => p.node))).toEqual(new Set(['node-1', 'node-2']))
    await kubectl('scale', 'deployment/web', '--replicas=3')
    await settled(3, V1)
    const dep = JSON.parse(await kubectl('get', 'deployment', 'web', '-o', 'json')) as { status: { replicas?: number; readyReplicas?: number } }
    await eventually('deployment status counts 3', async () => {
      const d = JSON.parse(await kubectl('get', 'deployment', 'web', '-o', 'json')) as typeof dep
      if (d.status.replicas !== 3 || d.status.readyReplicas !== 3) throw new Error(JSON.stringify(d.status))
    })
  }, 400_000)

  it('rolls out a new image with set image, and rollout undo brings the old ReplicaSet back', async () => {
    expect(await kubectl('set', 'image', 'deployment/web', `web=${V2}`)).toContain('image updated')
    expect(await kubectl('rollout', 'status', 'deployment/web', '--timeout=180s')).toContain('successfully rolled out')
    await settled(3, V2)
    let rs = await replicaSets()
    expect(rs).toHaveLength(2)
    expect(rs.find((r) => r.name === firstRs)).toMatchObject({ replicas: 0, image: V1 })
    expect(rs.find((r) => r.name !== firstRs)).toMatchObject({ replicas: 3, image: V2, revision: '2' })
    expect(await kubectl('rollout', 'history', 'deployment/web')).toMatch(/1\s[\s\S]*2\s/)

    expect(await kubectl('rollout', 'undo', 'deployment/web')).toContain('rolled back')
    expect(await kubectl('rollout', 'status', 'deployment/web', '--timeout=180s')).toContain('successfully rolled out')
    const pods = await settled(3, V1)
    // The same ReplicaSet as at first (same template hash), now at revision 3; no third one.
    rs = await replicaSets()
    expect(rs).toHaveLength(2)
    expect(rs.find((r) => r.name === firstRs)).toMatchObject({ replicas: 3, image: V1, revision: '3' })
    expect(pods.every((p) => p.rs === firstRs)).toBe(true)
  }, 400_000)

  it('gives a LoadBalancer Service an address from the cluster pool that answers from the host', async () => {
    await kubectl('expose', 'deployment', 'web', '--name=web-lb', '--type=LoadBalancer', '--port=8080', '--target-port=80')
    const ip = await eventually('an external IP for web-lb', async () => {
      const v = await kubectl('get', 'service', 'web-lb', '-o', 'jsonpath={.status.loadBalancer.ingress[0].ip}')
      if (!v) throw new Error('still <pending>')
      return v
    })
    expect(ip).toMatch(/^10\.231\.\d+\.(24\d|25[0-5])$/)
    expect(await kubectl('get', 'service', 'web-lb', '-o', 'wide')).toContain(ip)
    const status = await eventually(`an HTTP answer from ${ip}:8080`, () => httpStatus(`http://${ip}:8080/`), 60_000)
    expect(status).toBeGreaterThanOrEqual(200)
    await kubectl('delete', 'service', 'web-lb')
  }, 180_000)

  it('recreates the pods of a stopped worker on the other one, and the worker comes back Ready', async () => {
    const before = await webPods()
    const onNode1 = before.filter((p) => p.node === 'node-1').map((p) => p.name)
    expect(onNode1.length).toBeGreaterThan(0)
    expect(await kubelab('node', 'stop', cluster, 'node-1')).toContain('node node-1 stopped')
    const ready = async (node: string): Promise<string> => kubectl('get', 'node', node, '-o', 'jsonpath={.status.conditions[?(@.type=="Ready")].status}')
    await eventually(
      'node-1 NotReady',
      async () => {
        const s = await ready('node-1')
        if (s === 'True') throw new Error(`Ready=${s}`)
      },
      180_000,
    )
    const taints = await kubectl('get', 'node', 'node-1', '-o', 'jsonpath={.spec.taints[*].key}')
    expect(taints).toMatch(/node\.kubernetes\.io\/(unreachable|not-ready)/)
    // Replacements run on node-2; node-1's pods are being deleted (they finish once it is back).
    await eventually(
      '3 web pods Ready on node-2',
      async () => {
        const live = (await webPods()).filter((p) => !p.terminating)
        if (live.length !== 3 || !live.every((p) => p.ready && p.node === 'node-2')) throw new Error(JSON.stringify(live))
      },
      180_000,
    )
    for (const p of await webPods()) if (onNode1.includes(p.name)) expect(p.terminating).toBe(true)

    expect(await kubelab('node', 'start', cluster, 'node-1')).toContain('node node-1 started')
    await eventually(
      'node-1 Ready again',
      async () => {
        const s = await ready('node-1')
        if (s !== 'True') throw new Error(`Ready=${s}`)
      },
      180_000,
    )
    // Back online, its kubelet finishes the deletions: only the 3 replacements are left.
    const after = await settled(3, V1)
    expect(after.every((p) => p.node === 'node-2' && !onNode1.includes(p.name))).toBe(true)
    const untainted = await kubectl('get', 'node', 'node-1', '-o', 'jsonpath={.spec.taints[*].key}')
    expect(untainted).not.toMatch(/unreachable|not-ready/)
  }, 600_000)
})
