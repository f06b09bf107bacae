// `kubelab create --provider local --control-planes 3`: three control-plane nodes, each with an
// etcd member (one 3-member cluster from the host's Debian etcd, peer and client TLS from the
// cluster's etcd CA), an API server, and a scheduler and controller manager that hold their
// Leases one at a time; the host's API load balancer on the bridge address is the stable
// endpoint of the kubeconfig and of every kubelet. Stopping the node that holds the leases
// leaves kubectl working, moves the leases to another node, and the node rejoins on start.
// Lean: no workers (three nodes of agents are enough for this machine). Failover times are
// printed (the bench, bench/ha.bench.ts, is where they are reported), never asserted.
import { execFile } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parse } from 'yaml'

const execFileP = promisify(execFile)
const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const KUBELAB = join(ROOT, 'bin', 'kubelab.mjs')

const home = mkdtempSync('/tmp/kl-')
// Reserved for this file (run the local-cluster tests one at a time, under the e2e lock).
const cluster = 'l6h'
const clusterDir = join(home, 'clusters', cluster)
const kubeconfig = join(clusterDir, 'kubeconfig')
const env = { ...process.env, KUBELAB_HOME: home }
const CPS = ['control-plane', 'control-plane-2', 'control-plane-3']

async function kubelab(...args: string[]): Promise<string> {
  try {
    const r = await execFileP(process.execPath, [KUBELAB, ...args], { env, cwd: ROOT, maxBuffer: 64 * 1024 * 1024, timeout: 300_000 })
    return r.stdout + r.stderr
  } catch (e) {
    const x = e as { stdout?: string; stderr?: string; message: string }
    throw new Error(`kubelab ${args.join(' ')} failed: ${x.message}\n${(x.stdout ?? '').split('\n').slice(-30).join('\n')}\n${x.stderr ?? ''}`)
  }
}

async function kubectl(...args: string[]): Promise<string> {
  try {
    return (await execFileP('kubectl', ['--kubeconfig', kubeconfig, '--request-timeout=10s', ...args], { timeout: 60_000 })).stdout
  } catch (e) {
    const x = e as { stdout?: string; stderr?: string; message: string }
    throw new Error(`kubectl ${args.join(' ')} failed: ${x.stderr?.trim() || x.message}`)
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

/** Polls `f` until it returns a value (bounded: a readable failure after `ms`). */
async function until<T>(what: string, ms: number, f: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + ms
  let last = ''
  for (;;) {
    try {
      const v = await f()
      if (v !== undefined) return v
    } catch (e) {
      last = (e as Error).message
    }
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${ms / 1000} s${last ? `; last error: ${last}` : ''}`)
    await sleep(250)
  }
}

/** The node holding each Lease (identity `NODE_uuid`). */
async function leaseHolders(): Promise<Record<string, string>> {
  const out: Record<string, string> = {}
  for (const name of ['kube-scheduler', 'kube-controller-manager']) {
    const id = (await kubectl('-n', 'kube-system', 'get', 'lease', name, '-o', 'jsonpath={.spec.holderIdentity}')).trim()
    out[name] = id.slice(0, id.lastIndexOf('_'))
  }
  return out
}

const etcdctl = (node: string, args: string) => kubelab('ssh', cluster, node, '--', `. "\${KUBELAB_ROOT:-}/etc/kubelab/etcdctl.env" && etcdctl ${args}`)

let createLog = ''

beforeAll(async () => {
  createLog = await kubelab('create', cluster, '--provider', 'local', '--control-planes', '3', '--workers', '0', '--timeout', '240')
}, 360_000)

afterAll(async () => {
  if (existsSync(join(clusterDir, 'cluster.json'))) await kubelab('delete', cluster).catch(() => {})
  rmSync(home, { recursive: true, force: true })
}, 180_000)

describe('kubelab create --provider local --control-planes 3', () => {
  let endpoint = ''

  it('runs three control planes on one etcd cluster behind the host load balancer', async () => {
    expect(createLog).toMatch(/cluster \S+ is ready/)
    // The kubeconfig points at the load balancer on the host's bridge address, not at a node.
    endpoint = (parse(readFileSync(kubeconfig, 'utf8')) as { clusters: { cluster: { server: string } }[] }).clusters[0]!.cluster.server
    expect(endpoint).toMatch(/^https:\/\/10\.231\.\d+\.1:6443$/)
    const nodes = JSON.parse(await kubectl('get', 'nodes', '-o', 'json')) as { items: { metadata: { name: string; labels?: Record<string, string> } }[] }
    expect(
      nodes.items
        .filter((n) => n.metadata.labels?.['node-role.kubernetes.io/control-plane'] !== undefined)
        .map((n) => n.metadata.name)
        .sort(),
    ).toEqual(CPS)
    // One etcd cluster of three started members, healthy, with TLS between peers.
    const members = await etcdctl('control-plane-2', 'member list -w json')
    const list = (JSON.parse(members.trim().split('\n').pop()!) as { members: { name: string; peerURLs: string[] }[] }).members
    expect(list.map((m) => m.name).sort()).toEqual(CPS)
    for (const m of list) expect(m.peerURLs[0]).toMatch(/^https:\/\/10\.231\.\d+\.\d+:2380$/)
    expect(await etcdctl('control-plane', 'endpoint health --cluster')).not.toMatch(/unhealthy/)
    // The `kubernetes` Service lists every API server.
    expect((await kubectl('get', 'endpoints', 'kubernetes', '-o', 'jsonpath={.subsets[0].addresses[*].ip}')).split(' ')).toHaveLength(3)
    expect(await kubelab('list')).toMatch(new RegExp(`${cluster}\\s+local\\s+running\\s+3 \\(3 control planes\\)`))
    const holders = await until('both leases held', 60_000, async () => {
      const h = await leaseHolders()
      return CPS.includes(h['kube-scheduler']!) && CPS.includes(h['kube-controller-manager']!) ? h : undefined
    })
    expect(CPS).toContain(holders['kube-controller-manager'])
  })

  it('keeps answering and moves the leases when the leader node stops, and takes it back on start', async () => {
    const before = await leaseHolders()
    const victim = before['kube-controller-manager']!
    const t0 = Date.now()
    await kubelab('node', 'stop', cluster, victim)
    const stopped = Date.now()
    // Through the same endpoint: the load balancer sends requests to the two live API servers.
    const apiAt = await until('kubectl answering', 60_000, async () => ((await kubectl('get', '--raw', '/readyz')).trim() === 'ok' ? Date.now() : undefined))
    await kubectl('create', 'configmap', 'after-failover', '--from-literal=k=v')
    const leasesAt = await until('both leases on live nodes', 90_000, async () => {
      const h = await leaseHolders()
      return h['kube-scheduler'] !== victim &&
        h['kube-controller-manager'] !== victim &&
        CPS.includes(h['kube-scheduler']!) &&
        CPS.includes(h['kube-controller-manager']!)
        ? Date.now()
        : undefined
    })
    const after = await leaseHolders()
    expect(after['kube-controller-manager']).not.toBe(victim)
    expect(after['kube-scheduler']).not.toBe(victim)
    console.log(
      `failover (${victim} stopped): node stop took ${stopped - t0} ms; API answered ${apiAt - t0} ms and both leases on live nodes ${leasesAt - t0} ms after the stop began (${leasesAt - stopped} ms after it returned)`,
    )
    // The cluster's controllers run on the new leader: a Deployment gets its ReplicaSet and pods.
    await kubectl('create', 'deployment', 'after', '--image=kubelab.local/busybox:1', '--replicas=2', '--', 'sleep', '3600')
    await until('the new controller manager making pods', 60_000, async () =>
      (await kubectl('get', 'pods', '-l', 'app=after', '-o', 'name')).trim().split('\n').filter(Boolean).length === 2 ? true : undefined,
    )
    // etcd carries on with two of three members; the stopped one is unreachable.
    const live = CPS.find((n) => n !== victim)!
    expect(await etcdctl(live, 'endpoint health')).toMatch(/is healthy/)
    expect(await kubelab('list')).toContain(`${victim} stopped`)

    await kubelab('node', 'start', cluster, victim)
    await until(`node ${victim} Ready again`, 120_000, async () => {
      const n = JSON.parse(await kubectl('get', 'node', victim, '-o', 'json')) as {
        status: { conditions: { type: string; status: string; lastHeartbeatTime: string }[] }
      }
      const c = n.status.conditions.find((x) => x.type === 'Ready')
      return c?.status === 'True' && Date.parse(c.lastHeartbeatTime) >= stopped ? true : undefined
    })
    // Its etcd member caught up: all three healthy, and it serves what was written while it was away.
    await until('all etcd members healthy', 60_000, async () =>
      !(await etcdctl(victim, 'endpoint health --cluster')).includes('unhealthy') ? true : undefined,
    )
    expect(await etcdctl(victim, 'get --prefix --keys-only /registry/ | grep after-failover')).toContain('after-failover')
  })
})
