// `kubelab create --provider multipass --control-planes 3` through the Multipass double (each "VM"
// a network namespace with its own sshd, disk folder and /etc/hosts, test/doubles/vm): three
// etcd members that know each other by node name (the /etc/hosts block provisioning writes),
// every node's agents behind its own kubelab-api-lb on 127.0.0.1:6444, and the host's kubeconfig
// behind the host's balancer on 127.0.0.1. Stopping the VM whose controller manager leads leaves
// kubectl working and moves both Leases; starting it again brings its member back. A whole-cluster
// The ha-control-plane lab runs on it (its scripts on cp2 reach the API through cp2's own
// balancer). A whole-cluster stop, then a start that hands every VM another address (DHCP drift): the repair rewrites the
// /etc/hosts blocks, the members find each other by name again with the same member IDs, and the
// host's balancer follows the new addresses. Delete leaves nothing.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { hostNodeRuntime } from '../helpers/node-runtime'
import { hostLinuxKubectl } from '../helpers/host-kubectl'
import { ClusterManager } from '../../src-main/clusters'
import { LabRunner, loadCatalogue, managedLabCluster, unmetNeeds } from '../../src-main/lab-runner'
import { ROOT, doublesHome, eventually, freeSubnet, leftovers, missingHostDeps } from './vm-doubles'

const missing = missingHostDeps() ?? (existsSync('/usr/bin/etcd') ? undefined : 'needs /usr/bin/etcd (Debian etcd-server)')
if (missing) console.warn(`multipass HA e2e skipped: ${missing}`)
const runtime = missing ? undefined : hostNodeRuntime()

const cluster = 'mph'
const bridge = 'klmph'
const CPS = ['control-plane', 'control-plane-2', 'control-plane-3']
const vmOf = (node: string): string => `kl-${cluster}-${node}`
const { home, state, clusterDir, kubeconfig, env, kubelab, kubectl } = doublesHome(
  cluster,
  'multipass',
  {
    KUBELAB_NODE_RUNTIME: runtime?.file ?? '',
    KUBELAB_NODE_DIST: 'http://127.0.0.1:1/unreachable',
    KUBELAB_KUBECTL: missing ? '' : hostLinuxKubectl(),
  },
  ['--request-timeout=10s'],
)
const marks = [home, bridge, `kl-${cluster}-`, `KLD-${bridge}`]

function configure(extra: Record<string, unknown>): void {
  mkdirSync(state, { recursive: true })
  const subnet = freeSubnet(['192.168.67', '192.168.68', '192.168.69'])
  writeFileSync(join(state, 'config.json'), JSON.stringify({ launchOutcome: 'ok', ...extra, backend: { bridge, subnet, cloudInitMs: 1000 } }))
}

const address = (node: string): string => (JSON.parse(readFileSync(join(clusterDir, 'nodes', node, 'multipass.json'), 'utf8')) as { address: string }).address

const etcdctl = async (node: string, args: string): Promise<string> =>
  (await kubelab('ssh', cluster, node, '--', `. "\${KUBELAB_ROOT:-}/etc/kubelab/etcdctl.env" && etcdctl ${args}`)).trim().split('\n').pop()!

async function members(node = 'control-plane'): Promise<{ ID: string; name: string; peerURLs: string[] }[]> {
  const raw = await etcdctl(node, 'member list -w json')
  // Member IDs are 64-bit: keep them as text.
  return (JSON.parse(raw.replace(/"ID":(\d+)/g, '"ID":"$1"')) as { members: { ID: string; name: string; peerURLs: string[] }[] }).members
}

async function leaseHolders(): Promise<Record<string, string>> {
  const out: Record<string, string> = {}
  for (const name of ['kube-scheduler', 'kube-controller-manager']) {
    const id = (await kubectl('-n', 'kube-system', 'get', 'lease', name, '-o', 'jsonpath={.spec.holderIdentity}')).trim()
    out[name] = id.slice(0, id.lastIndexOf('_'))
  }
  return out
}

async function allReady(): Promise<void> {
  const nodes = await kubectl('get', 'nodes', '--no-headers')
  for (const n of CPS) if (!new RegExp(`^${n}\\s+Ready`, 'm').test(nodes)) throw new Error(`nodes:\n${nodes}`)
}

const vmFile = (node: string, path: string): string => readFileSync(join(state, 'vms', vmOf(node), path), 'utf8')
const hostLb = (): { listen: string; backends: { address: string }[] } => JSON.parse(readFileSync(join(clusterDir, 'api-lb.json'), 'utf8'))

let createLog = ''
beforeAll(async () => {
  if (missing) return
  configure({})
  createLog = await kubelab('create', cluster, '--provider', 'multipass', '--control-planes', '3', '--workers', '0', '--timeout', '300')
}, 900_000)

afterAll(async () => {
  if (!missing && existsSync(join(clusterDir, 'cluster.json'))) await kubelab('delete', cluster).catch(() => {})
  rmSync(home, { recursive: true, force: true })
}, 300_000)

describe.skipIf(missing !== undefined)('kubelab create --provider multipass --control-planes 3 (Multipass double)', { timeout: 600_000 }, () => {
  it('runs one etcd cluster with peers by node name, a balancer on every node and one on the host', async () => {
    expect(createLog).toMatch(/cluster mph is ready/)
    // The host's kubeconfig: the host balancer on 127.0.0.1, over every control-plane VM.
    const server = (parse(readFileSync(kubeconfig, 'utf8')) as { clusters: { cluster: { server: string } }[] }).clusters[0]!.cluster.server
    const port = (JSON.parse(readFileSync(join(clusterDir, 'cluster.json'), 'utf8')) as { ports: { apiServer: number } }).ports.apiServer
    expect(server).toBe(`https://127.0.0.1:${port}`)
    expect(hostLb().listen).toBe(`127.0.0.1:${port}`)
    expect(hostLb().backends.map((b) => b.address)).toEqual(CPS.map((n) => `${address(n)}:6443`))
    await allReady()
    for (const n of CPS) {
      // Each node: the /etc/hosts block naming every control plane, its own balancer, agents behind it.
      for (const cp of CPS) expect(vmFile(n, 'etc/hosts')).toMatch(new RegExp(`^${address(cp).replace(/\./g, '\\.')} ${cp}$`, 'm'))
      expect(vmFile(n, 'etc/kubelab/components.json')).toContain('"name": "api-lb"')
      expect(vmFile(n, 'etc/kubelab/kubelet.kubeconfig')).toContain('server: https://127.0.0.1:6444')
      expect(vmFile(n, 'etc/kubernetes/admin.conf')).toContain('server: https://127.0.0.1:6444')
    }
    // Through a node's own balancer, as its agents and lab scripts reach the API.
    expect(
      (await kubelab('ssh', cluster, 'control-plane-3', '--', 'kubectl --kubeconfig "${KUBELAB_ROOT:-}/etc/kubernetes/admin.conf" get --raw /readyz')).trim(),
    ).toMatch(/ok$/)
    const list = await members()
    expect(list.map((m) => m.name).sort()).toEqual(CPS)
    for (const m of list) expect(m.peerURLs).toEqual([`https://${m.name}:2380`])
    expect(
      await kubelab('ssh', cluster, 'control-plane-2', '--', '. "${KUBELAB_ROOT:-}/etc/kubelab/etcdctl.env" && etcdctl endpoint health --cluster'),
    ).not.toMatch(/unhealthy/)
    await eventually('both leases held', async () => {
      const h = await leaseHolders()
      if (!CPS.includes(h['kube-scheduler']!) || !CPS.includes(h['kube-controller-manager']!)) throw new Error(JSON.stringify(h))
    })
  })

  it('keeps answering through the host endpoint and moves the leases when the leader VM stops; the VM rejoins on start', async () => {
    const victim = (await leaseHolders())['kube-controller-manager']!
    await kubelab('node', 'stop', cluster, victim)
    expect((await kubectl('get', '--raw', '/readyz')).trim()).toBe('ok')
    await kubectl('create', 'configmap', 'after-failover', '--from-literal=k=v')
    await eventually('both leases on live nodes', async () => {
      const h = await leaseHolders()
      if (Object.values(h).some((x) => x === victim || !CPS.includes(x))) throw new Error(JSON.stringify(h))
    })
    // The host balancer still runs (two control planes are up) and a third is refused: quorum.
    expect(existsSync(join(clusterDir, 'api-lb.pid'))).toBe(true)
    const second = CPS.find((n) => n !== victim)!
    await expect(kubelab('node', 'stop', cluster, second)).rejects.toThrow(/etcd needs 2 to keep a quorum/)

    await kubelab('node', 'start', cluster, victim)
    await eventually(`${victim} Ready and its member healthy`, async () => {
      await allReady()
      const health = await etcdctl(victim, 'endpoint health')
      if (!/is healthy/.test(health)) throw new Error(health)
    })
    expect((await kubectl('get', 'configmap', 'after-failover', '-o', 'jsonpath={.data.k}')).trim()).toBe('v')
  })

  it('the ha-control-plane lab: start → check fails → cp2 down, leases off it → cp2 back → check passes', async () => {
    const lab = loadCatalogue([join(ROOT, 'labs')]).find((e) => e.lab?.id === 'ha-control-plane')?.lab
    expect(lab).toBeDefined()
    // In this process the provider runs `multipass` from PATH: the double, on this test's state.
    Object.assign(process.env, { PATH: env.PATH, MULTIPASS_DOUBLE_STATE: state, MULTIPASS_DOUBLE_BACKEND: env.MULTIPASS_DOUBLE_BACKEND })
    const lc = await managedLabCluster(new ClusterManager({ env }), cluster)
    try {
      const runner = new LabRunner(lc, lab!)
      expect(unmetNeeds(lab!, await runner.facts())).toEqual([])
      await runner.start()
      expect((await runner.check()).reason).toMatch(/the API server on cp2 \(control-plane-2, .*\) still answers/)
      expect((await runner.solution({ run: true })).result?.code).toBe(0)
      expect(await runner.check()).toMatchObject({ outcome: 'passed', step: 1 })
      expect(Object.values(await leaseHolders())).not.toContain('control-plane-2')
      expect((await runner.solution({ run: true })).result?.code).toBe(0)
      const back = await runner.check()
      expect(back, back.reason).toMatchObject({ outcome: 'passed', step: 2 })
      await runner.stop()
    } finally {
      lc.close()
    }
  })

  it('stop, then start with every VM at another address: the members find each other by name again', async () => {
    const before = await members()
    const oldIps = CPS.map(address)
    await kubelab('stop', cluster)
    expect(existsSync(join(clusterDir, 'api-lb.pid'))).toBe(false)
    configure({ ipDriftOnStart: true })
    const log = await kubelab('start', cluster)
    expect(log).toMatch(/repair done/)
    const newIps = CPS.map(address)
    for (const ip of newIps) expect(oldIps).not.toContain(ip)
    await eventually('every node Ready at its new address', allReady)
    // Same members (same IDs, peer URLs by name), every one healthy; the blocks name the new addresses.
    const after = await members('control-plane-3')
    expect(after.map((m) => [m.ID, m.name, m.peerURLs[0]]).sort()).toEqual(before.map((m) => [m.ID, m.name, m.peerURLs[0]]).sort())
    await eventually('every member healthy', async () => {
      const out = await kubelab('ssh', cluster, 'control-plane', '--', '. "${KUBELAB_ROOT:-}/etc/kubelab/etcdctl.env" && etcdctl endpoint health --cluster')
      if (/unhealthy/.test(out) || (out.match(/is healthy/g) ?? []).length !== 3) throw new Error(out)
    })
    for (const n of CPS) for (const cp of CPS) expect(vmFile(n, 'etc/hosts')).toContain(`${address(cp)} ${cp}\n`)
    expect(hostLb().backends.map((b) => b.address)).toEqual(newIps.map((ip) => `${ip}:6443`))
    expect((await kubectl('get', 'configmap', 'after-failover', '-o', 'jsonpath={.data.k}')).trim()).toBe('v')
  })

  it('delete purges the VMs, stops the host balancer and leaves nothing', async () => {
    await kubelab('delete', cluster)
    const s = JSON.parse(readFileSync(join(state, 'state.json'), 'utf8')) as { instances: Record<string, unknown> }
    expect(s.instances).toEqual({})
    expect(existsSync(join(clusterDir, 'api-lb.pid'))).toBe(false)
    expect(leftovers(marks)).toEqual({ netns: [], links: [], iptables: [], mounts: [], processes: [] })
  })
})
