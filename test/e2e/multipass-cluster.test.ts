// The whole Multipass path in CI: `kubelab create mp8 --provider multipass --workers 1` with
// test/doubles first on PATH. The `multipass` double launches the VMs one at a time; each VM is a
// local node that runs the cloud-init user-data it was given (keys for root and kubelab,
// containerd "installed" and started), with cloud-init still running when launch gives up
// (init-timeout, as on slow hosts) so create must wait with `cloud-init status --wait`. Then SSH,
// install, nodes Ready, and the real kubectl runs a pod. A restart moves every VM to a new
// address (DHCP drift) and start repairs certificates, node IPs and the kubeconfig. Delete must
// leave nothing behind.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { hostNodeRuntime } from '../helpers/node-runtime'
import { hostLinuxKubectl } from '../helpers/host-kubectl'
import { doublesHome, eventually, expectPodOnWorker, freeSubnet, leftovers, missingHostDeps } from './vm-doubles'

const missing = missingHostDeps()
if (missing) console.warn(`multipass e2e skipped: ${missing}`)

// The VMs' Node.js, offline: a tarball in nodejs.org's layout given by KUBELAB_NODE_RUNTIME.
const runtime = missing ? undefined : hostNodeRuntime()

const cluster = 'mp8'
const bridge = 'klmp8'
const { home, state, clusterDir, kubeconfig, kubelab, kubectl } = doublesHome(cluster, 'multipass', {
  KUBELAB_NODE_RUNTIME: runtime?.file ?? '',
  KUBELAB_NODE_DIST: 'http://127.0.0.1:1/unreachable',
  KUBELAB_KUBECTL: missing ? '' : hostLinuxKubectl(),
})
const marks = [home, bridge, `kl-${cluster}-`, `KLD-${bridge}`]

function configure(extra: Record<string, unknown>): void {
  mkdirSync(state, { recursive: true })
  const subnet = freeSubnet(['192.168.64', '192.168.65', '192.168.66'])
  writeFileSync(
    join(state, 'config.json'),
    JSON.stringify({ launchOutcome: 'init-timeout', bootPolls: 1, ...extra, backend: { bridge, subnet, cloudInitMs: 12_000 } }),
  )
}

const nodeIps = async (): Promise<string[]> =>
  (await kubectl('get', 'nodes', '-o', 'jsonpath={range .items[*]}{.status.addresses[?(@.type=="InternalIP")].address}{"\\n"}{end}')).trim().split('\n').sort()

afterAll(async () => {
  if (!missing) await kubelab('delete', cluster).catch(() => {})
  rmSync(home, { recursive: true, force: true })
}, 300_000)

describe.skipIf(missing !== undefined)('kubelab create --provider multipass (test double backed by local nodes)', { timeout: 900_000 }, () => {
  let firstIps: string[] = []

  it('launches the VMs one at a time, waits for cloud-init, provisions over SSH, and every node is Ready', async () => {
    configure({})
    const log = await kubelab('create', cluster, '--provider', 'multipass', '--workers', '1', '--timeout', '600')
    const launches = readFileSync(join(state, 'calls.log'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { argv?: string[]; at: number })
      .filter((c) => c.argv?.[0] === 'launch')
    expect(launches.map((c) => c.argv![3])).toEqual(['kl-mp8-control-plane', 'kl-mp8-node-1'])
    // Launch gave up on initialization; create polled, then waited for cloud-init over SSH.
    expect(log).toMatch(/kl-mp8-control-plane: the VM is up but cloud-init had not finished when Multipass stopped waiting/)
    expect(log).toMatch(/control-plane: waiting for cloud-init to finish \(cloud-init status --wait/)
    expect(log).toMatch(/node-1: cloud-init done after \d+s/)
    // The double's VM really ran the user-data: the cluster key is authorized for root.
    const pub = readFileSync(join(clusterDir, 'ssh', 'id_ed25519.pub'), 'utf8').trim()
    expect(readFileSync(join(state, 'vms', 'kl-mp8-node-1', 'etc', 'ssh', 'authorized_keys', 'root'), 'utf8')).toContain(pub)
    const nodes = await kubectl('get', 'nodes', '--no-headers')
    expect(nodes).toMatch(/^control-plane\s+Ready/m)
    expect(nodes).toMatch(/^node-1\s+Ready/m)
    firstIps = await nodeIps()
    const info = JSON.parse(readFileSync(join(clusterDir, 'nodes', 'node-1', 'multipass.json'), 'utf8')) as { address: string }
    expect(firstIps).toContain(info.address)
    // Node.js was uploaded from KUBELAB_NODE_RUNTIME (nothing downloaded or cached) and runs the agents.
    expect(log).toMatch(/\[node-1\] node runtime done/)
    expect(readFileSync(join(clusterDir, 'logs', 'node-1.log'), 'utf8')).toMatch(/uploading node-v[\d.]+-linux-x64\.tar\.gz \(KUBELAB_NODE_RUNTIME\)/)
    expect(existsSync(join(home, 'runtimes', 'node'))).toBe(false)
    const installed = join(state, 'vms', 'kl-mp8-node-1', 'var', 'lib', 'kubelab', 'node-runtime', runtime!.version, 'bin', 'node')
    expect(readFileSync(join(state, 'vms', 'kl-mp8-node-1', 'etc', 'kubelab', 'components.json'), 'utf8')).toContain(`"nodeBinary": "${installed}"`)
    // kubectl from KUBELAB_KUBECTL on every node; admin.conf on the control plane, at the master's own address.
    for (const vm of ['kl-mp8-control-plane', 'kl-mp8-node-1']) expect(existsSync(join(state, 'vms', vm, 'usr', 'local', 'bin', 'kubectl'))).toBe(true)
    const cp = JSON.parse(readFileSync(join(clusterDir, 'nodes', 'control-plane', 'multipass.json'), 'utf8')) as { address: string }
    expect(readFileSync(join(state, 'vms', 'kl-mp8-control-plane', 'etc', 'kubernetes', 'admin.conf'), 'utf8')).toContain(`server: https://${cp.address}:6443`)
    expect(existsSync(join(state, 'vms', 'kl-mp8-node-1', 'etc', 'kubernetes', 'admin.conf'))).toBe(false)
  })

  it('the real kubectl runs a pod to Running on the worker', async () => {
    await expectPodOnWorker(kubectl)
  })

  it('stop, then start with new VM addresses: start repairs certificates, node IPs and the kubeconfig', async () => {
    await kubelab('stop', cluster)
    const listed = JSON.parse(readFileSync(join(state, 'state.json'), 'utf8')) as { instances: Record<string, { state: string }> }
    expect(Object.values(listed.instances).map((i) => i.state)).toEqual(['Stopped', 'Stopped'])
    configure({ ipDriftOnStart: true })
    const log = await kubelab('start', cluster)
    expect(log).toMatch(/address changed from \S+ to \S+/)
    expect(log).toMatch(/repair done/)
    const ips = await eventually('nodes Ready at their new addresses', async () => {
      const now = await nodeIps()
      const nodes = await kubectl('get', 'nodes', '--no-headers')
      if (!/^control-plane\s+Ready/m.test(nodes) || !/^node-1\s+Ready/m.test(nodes) || now.some((ip) => firstIps.includes(ip)))
        throw new Error(`nodes: ${nodes} addresses ${now.join(', ')}`)
      return now
    })
    expect(ips).toHaveLength(2)
    const server = /server: (\S+)/.exec(readFileSync(kubeconfig, 'utf8'))?.[1]
    const master = JSON.parse(readFileSync(join(clusterDir, 'nodes', 'control-plane', 'multipass.json'), 'utf8')) as {
      address: string
      previousAddress?: string
    }
    expect(server).toBe(`https://${master.address}:6443`)
    expect(master.previousAddress).toBeUndefined()
  })

  it('delete purges the VMs and leaves no namespace, bridge, rule, mount or process', async () => {
    await kubelab('delete', cluster)
    const s = JSON.parse(readFileSync(join(state, 'state.json'), 'utf8')) as { instances: Record<string, unknown> }
    expect(s.instances).toEqual({})
    expect(leftovers(marks)).toEqual({ netns: [], links: [], iptables: [], mounts: [], processes: [] })
  })
})
