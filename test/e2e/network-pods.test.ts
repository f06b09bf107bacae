// The pod network and Services on real kernel networking: two network namespaces play two nodes
// on one LAN (a third namespace holding the LAN bridge and playing "the host"), the
// distribution's CNI plugins put a pod namespace on each node exactly as containerd would, and
// our code provides the CNI config, masquerade, routes, the proxy's iptables rules and DNS.
// Everything created here lives in namespaces this test made and is removed afterwards.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { setupNodeNetwork, teardownNodeNetwork, CNI_CONFLIST_NAME, type NodeNetwork } from '../../src-cluster/kubelet/network'
import { RuleSyncer } from '../../src-cluster/proxy'
import type { ServiceObj, SliceObj } from '../../src-cluster/kit/objects'

const root = resolve(__dirname, '../..')
const tag = Math.random().toString(36).slice(2, 7)
const LAN = `klan-${tag}`
const NODES = [
  { name: 'node-a', ns: `kna-${tag}`, ip: '192.168.77.2', podCIDR: '10.244.1.0/24', pod: `kpa-${tag}` },
  { name: 'node-b', ns: `knb-${tag}`, ip: '192.168.77.3', podCIDR: '10.244.2.0/24', pod: `kpb-${tag}` },
]
const HOST_IP = '192.168.77.1'
const CLUSTER_CIDR = '10.244.0.0/16'
const work = mkdtempSync(join(tmpdir(), 'kubelab-net-'))
const children: ChildProcess[] = []
const networks: NodeNetwork[] = []
const podIPs = new Map<string, string>()

function sh(cmd: string, args: string[], input?: string): string {
  const r = spawnSync(cmd, args, { input, encoding: 'utf8', timeout: 20_000 })
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr || r.stdout}`)
  return r.stdout
}
const inNs = (ns: string, ...args: string[]): string => sh('ip', ['netns', 'exec', ns, ...args])
// Debian 12 busybox-static wget crashes on -T: spawnSync timeouts bound every call instead.
const tryInNs = (ns: string, ...args: string[]) => spawnSync('ip', ['netns', 'exec', ns, ...args], { encoding: 'utf8', timeout: 20_000 })

/** Run one CNI plugin binary as containerd does: config on stdin, the rest in CNI_* variables. */
function cni(nodeNs: string, plugin: string, conf: object, podNs: string, command: 'ADD' | 'DEL'): Record<string, unknown> {
  const out = sh(
    'ip',
    [
      'netns',
      'exec',
      nodeNs,
      'env',
      `CNI_COMMAND=${command}`,
      `CNI_CONTAINERID=${podNs}`,
      `CNI_NETNS=/var/run/netns/${podNs}`,
      'CNI_IFNAME=eth0',
      'CNI_PATH=/usr/lib/cni',
      `/usr/lib/cni/${plugin}`,
    ],
    JSON.stringify(conf),
  )
  return out.trim() ? (JSON.parse(out) as Record<string, unknown>) : {}
}

function wget(ns: string, url: string): string {
  const r = tryInNs(ns, 'busybox', 'wget', '-q', '-O', '-', url)
  if (r.status !== 0) throw new Error(`wget ${url} from ${ns} failed: ${r.stderr}`)
  return r.stdout.trim()
}

function svc(name: string, ns: string, spec: ServiceObj['spec']): ServiceObj {
  return { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: ns }, spec }
}
function slice(name: string, ns: string, ips: string[], ports: { name?: string; port: number; protocol?: string }[]): SliceObj {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: `${name}-x`, namespace: ns, labels: { 'kubernetes.io/service-name': name } },
    addressType: 'IPv4',
    endpoints: ips.map((ip) => ({ addresses: [ip], conditions: { ready: true } })),
    ports: ports.map((p) => ({ name: p.name, port: p.port, protocol: p.protocol ?? 'TCP' })),
  }
}

beforeAll(async () => {
  // The LAN: a bridge in its own namespace, which also plays the host outside the cluster.
  sh('ip', ['netns', 'add', LAN])
  inNs(LAN, 'ip', 'link', 'set', 'lo', 'up')
  inNs(LAN, 'ip', 'link', 'add', 'br0', 'type', 'bridge')
  inNs(LAN, 'ip', 'addr', 'add', `${HOST_IP}/24`, 'dev', 'br0')
  inNs(LAN, 'ip', 'link', 'set', 'br0', 'up')
  for (const [i, n] of NODES.entries()) {
    sh('ip', ['netns', 'add', n.ns])
    inNs(n.ns, 'ip', 'link', 'set', 'lo', 'up')
    inNs(n.ns, 'ip', 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', `lan${i}`)
    inNs(n.ns, 'ip', 'link', 'set', `lan${i}`, 'netns', LAN)
    inNs(LAN, 'ip', 'link', 'set', `lan${i}`, 'master', 'br0', 'up')
    inNs(n.ns, 'ip', 'addr', 'add', `${n.ip}/24`, 'dev', 'eth0')
    inNs(n.ns, 'ip', 'link', 'set', 'eth0', 'up')
    // Like a VM, the node's default route leads to the host (cluster IPs are routed that way).
    inNs(n.ns, 'ip', 'route', 'add', 'default', 'via', HOST_IP)
    const net = await setupNodeNetwork({
      podCIDR: n.podCIDR,
      nodeIP: n.ip,
      clusterCIDR: CLUSTER_CIDR,
      cniConfDir: join(work, n.name, 'cni-conf'),
      ipamDataDir: join(work, n.name, 'cni-ipam'),
      bridge: 'kubelab0',
      netns: n.ns,
    })
    networks.push(net)
    // A pod: its namespace joined to the node's pod network by the CNI plugins of our conflist.
    sh('ip', ['netns', 'add', n.pod])
    const list = JSON.parse(readFileSync(join(work, n.name, 'cni-conf', CNI_CONFLIST_NAME), 'utf8')) as {
      cniVersion: string
      name: string
      plugins: Record<string, unknown>[]
    }
    cni(n.ns, 'loopback', { cniVersion: list.cniVersion, name: 'lo', type: 'loopback' }, n.pod, 'ADD')
    let prev: Record<string, unknown> | undefined
    for (const p of list.plugins) {
      const conf = {
        cniVersion: list.cniVersion,
        name: list.name,
        ...p,
        ...(prev ? { prevResult: prev } : {}),
        ...(p.type === 'portmap' ? { runtimeConfig: { portMappings: [] } } : {}),
      }
      prev = { ...(prev ?? {}), ...cni(n.ns, String(p.type), conf, n.pod, 'ADD') }
    }
    const ips = (prev?.ips as { address: string }[] | undefined) ?? []
    const ip = ips[0]?.address.split('/')[0]
    if (!ip) throw new Error(`CNI gave pod ${n.pod} no address: ${JSON.stringify(prev)}`)
    podIPs.set(n.name, ip)
    const www = join(work, n.name, 'www')
    mkdirSync(www, { recursive: true })
    writeFileSync(join(www, 'index.html'), `hello from ${n.name}\n`)
    const httpd = spawn('ip', ['netns', 'exec', n.pod, 'busybox', 'httpd', '-f', '-p', '8080', '-h', www], { stdio: 'ignore' })
    children.push(httpd)
  }
  const nodeObjs = NODES.map((n) => ({
    metadata: { name: n.name },
    spec: { podCIDR: n.podCIDR, podCIDRs: [n.podCIDR] },
    status: { addresses: [{ type: 'InternalIP', address: n.ip }] },
  }))
  for (const net of networks) await net.syncRoutes(nodeObjs)
  // Wait until both web servers listen (no timing assertion: just readiness).
  for (const n of NODES) {
    for (let i = 0; i < 50; i++) {
      if (tryInNs(n.pod, 'busybox', 'nc', '-z', '127.0.0.1', '8080').status === 0) break
      await new Promise((r) => setTimeout(r, 100))
    }
  }
}, 120_000)

afterAll(async () => {
  for (const c of children) c.kill('SIGKILL')
  // Anything still running inside our namespaces (e.g. grandchildren of `ip netns exec`) goes too.
  for (const ns of [...NODES.flatMap((n) => [n.pod, n.ns]), LAN]) {
    const pids = spawnSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' }).stdout?.split('\n').filter(Boolean) ?? []
    for (const pid of pids) spawnSync('kill', ['-9', pid])
  }
  await new Promise((r) => setTimeout(r, 100))
  for (const n of NODES) {
    spawnSync('ip', ['netns', 'del', n.pod])
    spawnSync('ip', ['netns', 'del', n.ns])
    rmSync(`/etc/netns/${n.pod}`, { recursive: true, force: true })
  }
  spawnSync('ip', ['netns', 'del', LAN])
  rmSync(work, { recursive: true, force: true })
})

describe('pod network across two nodes', () => {
  it('gave each pod an address from its node podCIDR', () => {
    expect(podIPs.get('node-a')).toMatch(/^10\.244\.1\.\d+$/)
    expect(podIPs.get('node-b')).toMatch(/^10\.244\.2\.\d+$/)
    expect(inNs(NODES[0]!.ns, 'ip', 'route', 'show', '10.244.2.0/24')).toContain('via 192.168.77.3')
  })

  it('lets a pod on node A reach a pod on node B by IP, keeping its own source address', () => {
    expect(wget(NODES[0]!.pod, `http://${podIPs.get('node-b')}:8080/`)).toBe('hello from node-b')
    expect(wget(NODES[1]!.pod, `http://${podIPs.get('node-a')}:8080/`)).toBe('hello from node-a')
  })

  it('masquerades pod traffic leaving the cluster network behind the node address', () => {
    // The LAN host has no route to pod CIDRs: an answer only comes back if the source was rewritten.
    const www = join(work, 'host-www')
    mkdirSync(www, { recursive: true })
    writeFileSync(join(www, 'index.html'), 'host\n')
    const httpd = spawn('ip', ['netns', 'exec', LAN, 'busybox', 'httpd', '-f', '-p', '9090', '-h', www], { stdio: 'ignore' })
    children.push(httpd)
    let out = ''
    for (let i = 0; i < 50 && !out; i++) {
      const r = tryInNs(NODES[0]!.pod, 'busybox', 'wget', '-q', '-O', '-', `http://${HOST_IP}:9090/`)
      out = r.status === 0 ? r.stdout.trim() : ''
      if (!out) spawnSync('sleep', ['0.1'])
    }
    expect(out).toBe('host')
  })

  it('removes routes of nodes that are gone', async () => {
    const a = networks[0]!
    await a.syncRoutes([])
    expect(inNs(NODES[0]!.ns, 'ip', 'route', 'show', '10.244.2.0/24').trim()).toBe('')
    await a.syncRoutes(
      NODES.map((n) => ({ metadata: { name: n.name }, spec: { podCIDR: n.podCIDR }, status: { addresses: [{ type: 'InternalIP', address: n.ip }] } })),
    )
    expect(inNs(NODES[0]!.ns, 'ip', 'route', 'show', '10.244.2.0/24')).toContain('via 192.168.77.3')
  })
})

describe('services through the proxy rules', () => {
  const syncers: RuleSyncer[] = []
  let dns: ChildProcess | undefined

  beforeAll(async () => {
    const podB = podIPs.get('node-b')!
    const services = [
      svc('server', 'default', { type: 'NodePort', clusterIP: '10.96.0.50', ports: [{ name: 'http', port: 80, nodePort: 30080, protocol: 'TCP' }] }),
      svc('kube-dns', 'kube-system', {
        clusterIP: '10.96.0.10',
        ports: [
          { name: 'dns', port: 53, protocol: 'UDP' },
          { name: 'dns-tcp', port: 53, protocol: 'TCP' },
        ],
      }),
    ]
    const slices = [
      slice('server', 'default', [podB], [{ name: 'http', port: 8080 }]),
      slice(
        'kube-dns',
        'kube-system',
        [HOST_IP],
        [
          { name: 'dns', port: 53, protocol: 'UDP' },
          { name: 'dns-tcp', port: 53, protocol: 'TCP' },
        ],
      ),
    ]
    for (const n of NODES) {
      const s = new RuleSyncer({ netns: n.ns, clusterCIDR: CLUSTER_CIDR })
      syncers.push(s)
      expect(await s.sync({ services, slices })).toBe(true)
      // A second sync with the same state changes nothing.
      expect(await s.sync({ services, slices })).toBe(false)
    }
    // Cluster DNS on the LAN host, as `kubelab-node dns` would run on the master.
    const script = join(work, 'dns.mts')
    writeFileSync(
      script,
      `import { startDnsServer, DnsIndex } from ${JSON.stringify(join(root, 'src-cluster/dns/index.ts'))}
const [services, slices] = JSON.parse(process.env.KL_DATA)
const index = new DnsIndex(services, slices)
await startDnsServer({ host: ${JSON.stringify(HOST_IP)}, port: 53, data: () => index })
console.log('ready')
`,
    )
    dns = spawn('ip', ['netns', 'exec', LAN, process.execPath, '--import', 'tsx', script], {
      cwd: root,
      env: { ...process.env, KL_DATA: JSON.stringify([services, slices]) },
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    children.push(dns)
    await new Promise<void>((ok, fail) => {
      dns!.stdout!.on('data', (c: Buffer) => c.toString().includes('ready') && ok())
      dns!.on('exit', (code) => fail(new Error(`DNS server exited with ${code}`)))
    })
    mkdirSync(`/etc/netns/${NODES[0]!.pod}`, { recursive: true })
    writeFileSync(
      `/etc/netns/${NODES[0]!.pod}/resolv.conf`,
      'nameserver 10.96.0.10\nsearch default.svc.cluster.local svc.cluster.local cluster.local\noptions ndots:5\n',
    )
  }, 60_000)

  afterAll(async () => {
    dns?.kill('SIGKILL')
  })

  it('reaches a pod on another node through its ClusterIP', () => {
    expect(wget(NODES[0]!.pod, 'http://10.96.0.50/')).toBe('hello from node-b')
  })

  it('reaches a pod through its own ClusterIP (hairpin)', () => {
    expect(wget(NODES[1]!.pod, 'http://10.96.0.50/')).toBe('hello from node-b')
  })

  it('reaches the service by NodePort on either node from outside the cluster', () => {
    expect(wget(LAN, `http://${NODES[0]!.ip}:30080/`)).toBe('hello from node-b')
    expect(wget(LAN, `http://${NODES[1]!.ip}:30080/`)).toBe('hello from node-b')
  })

  it('resolves a service name through the kube-dns ClusterIP', () => {
    const r = tryInNs(NODES[0]!.pod, 'busybox', 'nslookup', 'server.default.svc.cluster.local', '10.96.0.10')
    expect(r.stdout).toContain('10.96.0.50')
    const short = tryInNs(NODES[0]!.pod, 'busybox', 'nslookup', 'server')
    expect(short.stdout).toContain('10.96.0.50')
  })

  it('refuses a ClusterIP whose endpoints are gone, and removes every chain on cleanup', async () => {
    const a = syncers[0]!
    const services = [svc('server', 'default', { clusterIP: '10.96.0.50', ports: [{ name: 'http', port: 80, protocol: 'TCP' }] })]
    expect(await a.sync({ services, slices: [] })).toBe(true)
    const nat = inNs(NODES[0]!.ns, 'iptables-save', '-t', 'nat')
    expect(nat).not.toMatch(/KUBE-SEP-/)
    expect(nat).not.toMatch(/KUBE-SVC-/)
    const r = tryInNs(NODES[0]!.pod, 'busybox', 'wget', '-q', '-O', '-', 'http://10.96.0.50/')
    expect(r.status).not.toBe(0)
    expect(r.stderr).toMatch(/refused/)
    for (const s of syncers) await s.cleanup()
    for (const n of NODES) {
      const all = inNs(n.ns, 'iptables-save')
      expect(all).not.toMatch(/KUBE-/)
      expect(all).toMatch(/KUBELAB-POSTROUTING/)
    }
  })

  it('tears the node network down completely', async () => {
    const n = NODES[0]!
    await teardownNodeNetwork({ cniConfDir: join(work, n.name, 'cni-conf'), bridge: 'kubelab0', netns: n.ns })
    expect(existsSync(join(work, n.name, 'cni-conf', CNI_CONFLIST_NAME))).toBe(false)
    expect(inNs(n.ns, 'iptables-save')).not.toMatch(/KUBELAB-/)
    expect(inNs(n.ns, 'ip', 'route', 'show', 'proto', '231').trim()).toBe('')
    expect(tryInNs(n.ns, 'ip', 'link', 'show', 'kubelab0').status).not.toBe(0)
  })
})
