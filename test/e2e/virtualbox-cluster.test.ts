// The whole VirtualBox path in CI: `kubelab create vb8 --provider virtualbox --workers 1` with
// test/doubles first on PATH. The `VBoxManage` double records the recipe (cloned cloud-image
// disk, NoCloud seed ISO on the DVD drive, NIC 1 NAT with an SSH forward on 127.0.0.1, NIC 2
// host-only, a serial port) and backs each VM with a local node that reads the seed ISO: its
// user-data (keys) and network-config (the static host-only address matched by NIC 2's MAC). The
// forward really listens on 127.0.0.1, so create reaches every VM by SSH through it, installs,
// and the real kubectl runs a pod. The sizing flags must reach the VMs, stop/start must bring the
// cluster back with its objects, and delete must leave nothing behind.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { hostNodeRuntime, serveNodeDist } from '../helpers/node-runtime'
import { doublesHome, eventually, expectPodOnWorker, freeSubnet, leftovers, missingHostDeps } from './vm-doubles'

const missing = missingHostDeps()
if (missing) console.warn(`virtualbox e2e skipped: ${missing}`)
// The VMs' Node.js: downloaded once by the host from a stand-in for nodejs.org (KUBELAB_NODE_DIST).
const runtime = missing ? undefined : hostNodeRuntime()
const dist = runtime ? await serveNodeDist(runtime.file) : undefined

const cluster = 'vb8'
const bridge = 'klvb8'
const { home, state, clusterDir, kubeconfig, env, kubelab, kubectl } = doublesHome(cluster, 'virtualbox', {
  KUBELAB_NODE_DIST: dist?.url ?? '',
  KUBELAB_NODE_RUNTIME: '',
  KUBELAB_KUBECTL: '',
  KUBELAB_KUBECTL_BASE: 'http://127.0.0.1:1/unreachable',
})
const vms = ['kl-vb8-control-plane', 'kl-vb8-node-1']
const marks = [home, bridge, 'kl-vb8-', `KLD-${bridge}`]
// 59 is minikube's; the rest of 192.168.56.0/21 is what VirtualBox allows for host-only.
const subnet = missing ? '192.168.57' : freeSubnet(['192.168.57', '192.168.58', '192.168.60', '192.168.61', '192.168.62'])

interface NodeFile {
  vm: string
  sshPort: number
  address: string
}
const nodeFile = (node: string): NodeFile => JSON.parse(readFileSync(join(clusterDir, 'nodes', node, 'virtualbox.json'), 'utf8')) as NodeFile

/** What `VBoxManage showvminfo VM --machinereadable` prints, through the double, as a map. */
async function vminfo(vm: string): Promise<Record<string, string>> {
  const { execFileSync } = await import('node:child_process')
  const out = execFileSync('VBoxManage', ['showvminfo', vm, '--machinereadable'], { env: { ...env, LANG: 'C' }, encoding: 'utf8' })
  const m: Record<string, string> = {}
  for (const line of out.split('\n')) {
    const i = line.indexOf('=')
    if (i > 0) m[line.slice(0, i).replace(/^"|"$/g, '')] = line.slice(i + 1).replace(/^"|"$/g, '')
  }
  return m
}

type Call = { argv?: string[]; warning?: string }
const calls = (): Call[] =>
  readFileSync(join(state, 'calls.log'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Call)

const nodeIps = async (): Promise<string[]> =>
  (await kubectl('get', 'nodes', '-o', 'jsonpath={range .items[*]}{.status.addresses[?(@.type=="InternalIP")].address}{"\\n"}{end}')).trim().split('\n').sort()

afterAll(async () => {
  if (!missing) await kubelab('delete', cluster).catch(() => {})
  await dist?.close()
  rmSync(home, { recursive: true, force: true })
}, 300_000)

describe.skipIf(missing !== undefined)('kubelab create --provider virtualbox (test double backed by local nodes)', { timeout: 900_000 }, () => {
  it('builds each VM by the recipe with the requested size, boots it, provisions over the SSH forward, and every node is Ready', async () => {
    mkdirSync(state, { recursive: true })
    writeFileSync(join(state, 'config.json'), JSON.stringify({ acpiPolls: 2, backend: { bridge, cloudInitMs: 8000 } }))
    // The once-per-host Ubuntu disk (PROVIDERS.md §3.2), under KUBELAB_HOME like everything else.
    mkdirSync(join(home, 'images'), { recursive: true })
    writeFileSync(join(home, 'images', 'noble-amd64.vdi'), '<<< Oracle VM VirtualBox Disk Image >>>\n')

    const log = await kubelab(
      'create',
      cluster,
      '--provider',
      'virtualbox',
      '--workers',
      '1',
      '--cpus',
      '3',
      '--memory',
      '1536M',
      '--disk',
      '12G',
      '--host-only-subnet',
      subnet,
      '--timeout',
      '600',
    )
    expect(log).toMatch(/kl-vb8-node-1: booting \(SSH forward 127\.0\.0\.1:\d+, host-only 192\.168\.\d+\.11\)/)
    expect(calls().filter((c) => c.warning)).toEqual([]) // always LANG=C

    for (const [i, vm] of vms.entries()) {
      const node = i === 0 ? 'control-plane' : 'node-1'
      const info = await vminfo(vm)
      const f = nodeFile(node)
      expect(f.address).toBe(`${subnet}.${10 + i}`)
      expect({ memory: info.memory, cpus: info.cpus, state: info.VMState, nic1: info.nic1, nic2: info.nic2, uart1: info.uart1 }).toEqual({
        memory: '1536',
        cpus: '3',
        state: 'running',
        nic1: 'nat',
        nic2: 'hostonly',
        uart1: '0x03f8,4',
      })
      expect(info['Forwarding(0)']).toBe(`ssh,tcp,127.0.0.1,${f.sshPort},,22`)
      expect(info.uartmode1).toBe(`file,${join(clusterDir, 'nodes', node, 'console.log')}`)
      expect(info['SATA-0-0']).toBe(join(clusterDir, 'nodes', node, 'disk.vdi'))
      expect(info['SATA-1-0']).toBe(join(clusterDir, 'nodes', node, 'seed.iso'))
      // The double's VM came up from the seed ISO: its address from network-config, its forward on the recorded port.
      const meta = JSON.parse(readFileSync(join(state, 'vms', `${vm}.json`), 'utf8')) as {
        subnet: string
        host: number
        forward?: { host: string; port: number }
        seed: { kind: string }
      }
      expect(meta).toMatchObject({ subnet, host: 10 + i, forward: { host: '127.0.0.1', port: f.sshPort }, seed: { kind: 'iso' } })
    }
    const media = (JSON.parse(readFileSync(join(state, 'state.json'), 'utf8')) as { media: Record<string, { sizeMb: number }> }).media
    expect(media[join(clusterDir, 'nodes', 'node-1', 'disk.vdi')]?.sizeMb).toBe(12 * 1024)
    // The seed's user-data authorized the cluster key; SSH through the forward reaches the node.
    const pub = readFileSync(join(clusterDir, 'ssh', 'id_ed25519.pub'), 'utf8').trim()
    expect(readFileSync(join(state, 'vms', 'kl-vb8-node-1', 'etc', 'ssh', 'authorized_keys', 'root'), 'utf8')).toContain(pub)
    expect((await kubelab('ssh', cluster, 'node-1', '--', 'cloud-init', 'status')).trim()).toBe('status: done')

    const nodes = await kubectl('get', 'nodes', '--no-headers')
    expect(nodes).toMatch(/^control-plane\s+Ready/m)
    expect(nodes).toMatch(/^node-1\s+Ready/m)
    expect(await nodeIps()).toEqual([`${subnet}.10`, `${subnet}.11`])
    expect(readFileSync(kubeconfig, 'utf8')).toContain(`server: https://${subnet}.10:`)

    // Node.js came from the host: one checked download for both VMs, cached under the KubeLab
    // home, uploaded and installed on each node, which runs its components with it.
    const tarball = `node-${runtime!.version}-linux-x64.tar.gz`
    expect(dist!.requests.filter((r) => r.endsWith(tarball))).toHaveLength(1)
    expect(readdirSync(join(home, 'runtimes', 'node'))).toEqual([tarball])
    expect(log).toMatch(/\[node-1\] node runtime done/)
    const stepLogs = ['control-plane', 'node-1'].map((n) => readFileSync(join(clusterDir, 'logs', `${n}.log`), 'utf8')).join('\n')
    expect(stepLogs).toMatch(/node-v[\d.]+-linux-x64\.tar\.gz: checksum OK/)
    // No kubectl to be had (dl.k8s.io unreachable, no KUBELAB_KUBECTL): a warning, not a failed create.
    expect(stepLogs).toMatch(/WARNING: kubectl is not installed on this node: could not download .*KUBELAB_KUBECTL/)
    for (const vm of vms) {
      const installed = join(state, 'vms', vm, 'var', 'lib', 'kubelab', 'node-runtime', runtime!.version, 'bin', 'node')
      expect(existsSync(installed)).toBe(true)
      expect(readFileSync(join(state, 'vms', vm, 'etc', 'kubelab', 'components.json'), 'utf8')).toContain(`"nodeBinary": "${installed}"`)
    }
  })

  it('the real kubectl runs a pod to Running on the worker', async () => {
    await expectPodOnWorker(kubectl)
  })

  it('stop powers the VMs off (ACPI), start brings the cluster back with its objects', async () => {
    await kubectl('create', 'configmap', 'keep-me', '--from-literal=k=v')
    await kubelab('stop', cluster)
    for (const vm of vms) expect((await vminfo(vm)).VMState).toBe('poweroff')
    expect(
      calls()
        .filter((c) => c.argv?.[0] === 'controlvm')
        .map((c) => c.argv?.[2]),
    ).toEqual(['acpipowerbutton', 'acpipowerbutton'])

    await kubelab('start', cluster)
    for (const vm of vms) expect((await vminfo(vm)).VMState).toBe('running')
    await eventually('nodes Ready again', async () => {
      const nodes = await kubectl('get', 'nodes', '--no-headers')
      if (!/^control-plane\s+Ready/m.test(nodes) || !/^node-1\s+Ready/m.test(nodes)) throw new Error(nodes)
    })
    expect(await nodeIps()).toEqual([`${subnet}.10`, `${subnet}.11`]) // static: no drift
    expect(await kubectl('get', 'configmap', 'keep-me', '-o', 'jsonpath={.data.k}')).toBe('v')
    expect(await kubectl('get', 'pod', 'hello', '-o', 'jsonpath={.spec.nodeName}')).toBe('node-1')
    // Pod hello runs again on the rebooted worker, in a new sandbox (the next attempt: containerd
    // keeps the dead one's name reserved), and the worker takes new pods.
    await eventually('pod hello running again', async () => {
      const ready = await kubectl('get', 'pod', 'hello', '-o', 'jsonpath={.status.containerStatuses[0].ready}')
      if (ready !== 'true') throw new Error(`hello is not ready: ${await kubectl('get', 'pod', 'hello', '-o', 'wide')}`)
    })
    expect(await kubectl('exec', 'hello', '--', 'echo', 'again')).toBe('again\n')
    await kubectl('run', 'after', '--image=kubelab.local/busybox:1', '--overrides={"spec":{"nodeName":"node-1"}}', '--', 'sleep', '3600')
    await eventually('pod after Running', async () => {
      const phase = await kubectl('get', 'pod', 'after', '-o', 'jsonpath={.status.phase}')
      if (phase !== 'Running') throw new Error(`pod is ${phase}`)
    })
    expect(await kubectl('exec', 'after', '--', 'echo', 'back')).toBe('back\n')
  })

  it('delete unregisters the VMs and leaves no VM, file, namespace, bridge, rule, mount or process', async () => {
    const ports = ['control-plane', 'node-1'].map((n) => nodeFile(n).sshPort)
    await kubelab('delete', cluster)
    const s = JSON.parse(readFileSync(join(state, 'state.json'), 'utf8')) as { vms: Record<string, unknown> }
    expect(s.vms).toEqual({})
    expect(existsSync(clusterDir)).toBe(false)
    expect(readdirSync(join(state, 'vms')).filter((f) => f.startsWith('kl-vb8-'))).toEqual([])
    expect(leftovers([...marks, ...ports.map((p) => `127.0.0.1 ${p} `)])).toEqual({ netns: [], links: [], iptables: [], mounts: [], processes: [] })
  })
})
