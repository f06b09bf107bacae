// A whole 1+2 `local` cluster made by the real CLI (`kubelab create NAME --provider local
// --workers 2`), then the walkthrough every Kubernetes primer teaches, typed with the real
// kubectl and the kubeconfig create wrote: two pods on busybox, a fetch inside the server, a fetch
// across nodes by pod IP, `kubectl expose`, a fetch by service name (cluster DNS + proxy).
// Finally `kubelab delete` must leave nothing of this cluster (namespaces, links, iptables,
// mounts, processes, pod cgroups and files, found by its names: test/helpers/leaks.ts).
import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { busyboxImageSpec, writeImage } from '../../provisioning/images'
import { writeKubeconfig } from '../../src-cluster/apiserver/kubeconfig'
import { clusterHome } from '../helpers/cli'
import { leftovers, localClusterMarks, localPodUids, NOTHING, podCgroupsLeft, subnetClaimsUnder } from '../helpers/leaks'
import { eventually as retry } from '../helpers/wait'

// This file's own cluster name (each e2e file has its own: files run two at a time).
const cluster = 'l5c'
const { home, clusterDir, kubelab, kubectl } = clusterHome(cluster, { timeoutMs: 240_000 })

const out = (cmd: string, args: string[]): string => spawnSync(cmd, args, { encoding: 'utf8' }).stdout ?? ''

/** Retries a check until it passes (bounded; kubectl twice a second): pod start, endpoints and proxy rules converge. Prints the convergence time (worth seeing when the suite runs slowly; no assertion on it). */
const eventually = <T>(what: string, f: () => Promise<T>, ms = 90_000): Promise<T> => retry(what, f, { timeoutMs: ms, intervalMs: 500, log: true })

const PAGE = 'KubeLab busybox'
let createLog = ''

beforeAll(async () => {
  createLog = await kubelab('create', cluster, '--provider', 'local', '--workers', '2', '--timeout', '180')
}, 240_000)

afterAll(async () => {
  // Only a failed test leaves the cluster here; delete is best effort then.
  if (existsSync(join(clusterDir, 'cluster.json'))) await kubelab('delete', cluster).catch(() => {})
  rmSync(home, { recursive: true, force: true })
}, 120_000)

describe('kubelab create --provider local --workers 2', () => {
  it('brings up three Ready nodes with the standard images loaded', async () => {
    expect(createLog).toMatch(/cluster \S+ is ready/)
    expect(createLog).toContain('load images done')
    const nodes = JSON.parse(await kubectl('get', 'nodes', '-o', 'json')) as {
      items: {
        metadata: { name: string }
        spec: { podCIDR?: string; taints?: { key: string }[] }
        status: { conditions: { type: string; status: string }[] }
      }[]
    }
    expect(nodes.items.map((n) => n.metadata.name).sort()).toEqual(['control-plane', 'node-1', 'node-2'])
    for (const n of nodes.items) {
      expect(n.status.conditions.find((c) => c.type === 'Ready')?.status).toBe('True')
      expect(n.spec.podCIDR).toMatch(/^10\.244\.\d+\.0\/24$/)
    }
    // Pods go to the workers: the control plane registers with its NoSchedule taint.
    expect(nodes.items.find((n) => n.metadata.name === 'control-plane')!.spec.taints?.map((t) => t.key)).toContain('node-role.kubernetes.io/control-plane')
    // Its role label comes from the host with admin credentials (NodeRestriction keeps kubelets from setting it).
    expect(await kubectl('get', 'nodes')).toMatch(/control-plane\s+Ready\s+control-plane/)
    expect(createLog).toContain('node control-plane labelled node-role.kubernetes.io/control-plane')
  })

  it('each kubelet is its own node: it may read only what its pods use', async () => {
    const caPem = readFileSync(join(clusterDir, 'pki', 'ca.crt'), 'utf8')
    const kc = join(clusterDir, 'node-1-probe.kubeconfig')
    const cert = readFileSync(join(clusterDir, 'pki', 'nodes', 'node-1', 'kubelet-client.crt'), 'utf8')
    const key = readFileSync(join(clusterDir, 'pki', 'nodes', 'node-1', 'kubelet-client.key'), 'utf8')
    const server = (JSON.parse(await kubectl('config', 'view', '--raw', '-o', 'json')) as { clusters: { cluster: { server: string } }[] }).clusters[0]!.cluster
      .server
    writeKubeconfig(kc, { server, caPem, user: 'system:node:node-1', certPem: cert, keyPem: key })
    await kubectl('create', 'secret', 'generic', 'not-for-nodes', '--from-literal=k=v')
    const r = spawnSync('kubectl', ['--kubeconfig', kc, 'get', 'secret', 'not-for-nodes'], { encoding: 'utf8' })
    expect(r.stderr).toContain("no relationship found between node 'node-1' and this object")
    const del = spawnSync('kubectl', ['--kubeconfig', kc, 'delete', 'node', 'node-2'], { encoding: 'utf8' })
    expect(del.stderr).toContain('cannot delete resource "nodes"')
    rmSync(kc, { force: true })
  })

  it('runs the primer walkthrough through the real kubectl', async () => {
    await kubectl('run', 'server', '--image=kubelab.local/busybox:1', '--', 'httpd', '-f', '-p', '80', '-h', '/var/www')
    await kubectl('run', 'client', '--image=kubelab.local/busybox:1', '--', 'sleep', '3600')
    const t0 = Date.now()
    await kubectl('wait', '--for=condition=Ready', 'pod/server', 'pod/client', '--timeout=90s')
    console.log(`server and client pods Ready: ${((Date.now() - t0) / 1000).toFixed(1)} s`)

    // Inside the server pod itself.
    expect(await eventually('httpd answering in the server pod', () => kubectl('exec', 'server', '--', 'wget', '-qO-', 'localhost'))).toContain(PAGE)

    // From the client to the server's pod IP (another node when the scheduler spreads them).
    const ip = await kubectl('get', 'pod', 'server', '-o', 'jsonpath={.status.podIP}')
    expect(ip).toMatch(/^10\.244\.\d+\.\d+$/)
    expect(await eventually('client → server pod IP', () => kubectl('exec', 'client', '--', 'wget', '-qO-', ip))).toContain(PAGE)

    // Through a Service, by name: cluster DNS resolves it, the proxy's rules reach the pod.
    expect(await kubectl('expose', 'pod', 'server', '--port=80')).toContain('service/server exposed')
    expect(await eventually('client → service name', () => kubectl('exec', 'client', '--', 'wget', '-qO-', 'server'))).toContain(PAGE)
  }, 180_000)

  it('schedules the pods onto the workers only', async () => {
    const pods = JSON.parse(await kubectl('get', 'pods', '-o', 'json')) as { items: { spec: { nodeName?: string } }[] }
    for (const p of pods.items) expect(['node-1', 'node-2']).toContain(p.spec.nodeName)
  })

  it('kubelab image load puts an image on every node, and pods run from it', async () => {
    const tar = join(home, 'custom.tar')
    await writeImage(busyboxImageSpec('kubelab.local/custom:1'), tar)
    const log = await kubelab('image', 'load', cluster, tar)
    for (const n of ['control-plane', 'node-1', 'node-2']) expect(log).toContain(`${n}: imported kubelab.local/custom:1`)
    await kubectl('run', 'custom', '--image=kubelab.local/custom:1', '--', 'sleep', '3600')
    await kubectl('wait', '--for=condition=Ready', 'pod/custom', '--timeout=60s')
    expect(await kubectl('exec', 'custom', '--', 'cat', '/var/www/index.html')).toContain(PAGE)
  }, 120_000)

  it('delete leaves no namespace, bridge, iptables rule, mount, process or file', async () => {
    expect(readdirSync(join(clusterDir, 'nodes')).sort()).toEqual(['control-plane', 'node-1', 'node-2'])
    // The host-side veths and the cluster's subnet carry no cluster name: take them from its layout.
    const layout = JSON.parse(readFileSync(join(clusterDir, 'local.json'), 'utf8')) as { subnet: number }
    const marks = localClusterMarks(cluster, home, layout.subnet)
    expect(leftovers(marks).netns.length).toBe(3)
    expect(leftovers(marks).iptables.length).toBeGreaterThan(0)
    const pods = localPodUids(clusterDir)
    expect(pods.length).toBeGreaterThan(0)
    expect(subnetClaimsUnder(home)).toEqual([String(layout.subnet)])
    const veths = (): string[] =>
      out('ip', ['-o', 'link'])
        .split('\n')
        .filter((l) => l.includes(`klv${layout.subnet}-`))
    const routes = (): string[] =>
      out('ip', ['-4', 'route'])
        .split('\n')
        .filter((l) => l.startsWith(`10.231.${layout.subnet}.`))
    expect(veths().length).toBe(3)
    // The cluster's /24 on its bridge, and its LoadBalancer pool routed via the master.
    expect(routes().length).toBe(2)
    expect(routes().some((l) => l.startsWith(`10.231.${layout.subnet}.240/28 via `))).toBe(true)
    await kubelab('delete', cluster)
    expect(leftovers(marks)).toEqual(NOTHING)
    expect(podCgroupsLeft(pods)).toEqual([])
    expect(subnetClaimsUnder(home)).toEqual([])
    expect(veths()).toEqual([])
    expect(routes()).toEqual([])
    expect(existsSync(clusterDir)).toBe(false)
  }, 120_000)
})
