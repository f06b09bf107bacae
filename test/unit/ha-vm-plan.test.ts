// Several control planes on the VM providers, without a VM: what every node gets (its own
// kubelab-api-lb unit, kubeconfigs through it, etcd peers by node name with an /etc/hosts block
// and certificates naming them), that single-control-plane and local clusters get none of it,
// the QEMU host balancer's plan over each control plane's API forward, and the host balancer
// process itself (real api-lb.mjs on 127.0.0.1: kept, replaced when its backends change, stopped).
import { X509Certificate } from 'node:crypto'
import { mkdirSync, existsSync, readFileSync, writeFileSync } from 'node:fs'
import { connect, createServer, type Server, type Socket } from 'node:net'
import { join } from 'node:path'
import { describe, expect, it, onTestFinished } from 'vitest'
import { parse } from 'yaml'
import type { NodeBundle } from '../../provisioning/bundle'
import { ensureClusterPki } from '../../src-main/ssh-provisioning/pki'
import { nodeFiles, type NodeFacts } from '../../src-main/ssh-provisioning/provision'
import type { PlanNode } from '../../src-main/ssh-provisioning/node-plan'
import { QemuProvider, type QemuNodeFile } from '../../src-main/providers/qemu/provider'
import { apiLbFiles, ensureHostApiLb, hostApiLbPid, stopHostApiLb } from '../../src-main/providers/api-lb-host'
import type { NodeRecord, ProviderContext } from '../../src-main/providers/types'
import { tempDir } from '../helpers/temp-dir'

const CPS: PlanNode[] = [
  { name: 'control-plane', role: 'control-plane', ip: '10.113.0.10' },
  { name: 'control-plane-2', role: 'control-plane', ip: '10.113.0.11' },
  { name: 'control-plane-3', role: 'control-plane', ip: '10.113.0.12' },
]
const WORKER: PlanNode = { name: 'node-1', role: 'worker', ip: '10.113.0.13' }
const bundle: NodeBundle = {
  dir: '/nonexistent',
  program: '/nonexistent/kubelab-node.js',
  files: [],
  components: ['agent', 'apiserver', 'scheduler', 'controller-manager', 'dns', 'kubelet', 'proxy', 'netpol', 'ingress'],
  kubeletFlags: [],
  bytes: 0,
}
const vm: NodeFacts = { root: '/', nodeBinary: '/var/lib/kubelab/node-runtime/v22/bin/node', serviceMode: 'systemd', machine: 'x86_64' }

function files(dir: string, node: PlanNode, o: { ha?: boolean; nodeApiLb?: boolean } = {}) {
  const pki = ensureClusterPki(dir, 'demo', CPS[0]!.ip, [...CPS, WORKER], o.ha ? [...CPS.map((n) => n.ip), '127.0.0.1'] : [])
  const r = nodeFiles(
    {
      cluster: 'demo',
      node,
      masterIp: CPS[0]!.ip,
      bundle,
      pki,
      store: 'etcd',
      ...(o.ha ? { controlPlanes: CPS, apiEndpoint: o.nodeApiLb ? '127.0.0.1:6444' : '10.231.4.1:6443', ...(o.nodeApiLb ? { nodeApiLb: true } : {}) } : {}),
    },
    vm,
  )
  const byDest = (dest: string): string => String(r.files.find((f) => f.dest === dest)?.content ?? '')
  const server = (dest: string): string => (parse(byDest(dest)) as { clusters: { cluster: { server: string } }[] }).clusters[0]!.cluster.server
  return { ...r, byDest, server, pki }
}

describe('several control planes on VMs: what a node gets', () => {
  it('every node runs kubelab-api-lb on 127.0.0.1:6444 over every API server, and its agents use it', () => {
    const dir = tempDir('kl-havm-')
    for (const node of [WORKER, CPS[1]!]) {
      const f = files(dir, node, { ha: true, nodeApiLb: true })
      expect(f.components[0]).toBe('api-lb')
      const unit = f.byDest('/etc/systemd/system/kubelab-api-lb.service')
      expect(unit).toMatch(
        /^ExecStart=\/var\/lib\/kubelab\/node-runtime\/v22\/bin\/node \/var\/lib\/kubelab\/bin\/api-lb\.mjs --listen 127\.0\.0\.1:6444 --backend 10\.113\.0\.10:6443 --backend 10\.113\.0\.11:6443 --backend 10\.113\.0\.12:6443 --status-file \/run\/kubelab\/api-lb\.json$/m,
      )
      expect(unit).toMatch(/^Restart=always$/m)
      expect(f.server('/etc/kubelab/kubelet.kubeconfig')).toBe('https://127.0.0.1:6444')
      expect(f.server('/etc/kubelab/proxy.kubeconfig')).toBe('https://127.0.0.1:6444')
      expect(f.etcHosts).toBe(
        '# BEGIN kubelab: control-plane nodes (etcd peers by name); kubelab create/start rewrites this block\n10.113.0.10 control-plane\n10.113.0.11 control-plane-2\n10.113.0.12 control-plane-3\n# END kubelab\n',
      )
    }
    // Control-plane components still talk to their own node's API server.
    expect(files(dir, CPS[1]!, { ha: true, nodeApiLb: true }).server('/etc/kubelab/scheduler.kubeconfig')).toBe('https://10.113.0.11:6443')
  })

  it('etcd members advertise their peer URL by node name, listen on every address, and their certificates name them', () => {
    const dir = tempDir('kl-havm-')
    const f = files(dir, CPS[1]!, { ha: true, nodeApiLb: true })
    const exec = /^ExecStart=(.*)$/m.exec(f.byDest('/etc/systemd/system/kubelab-etcd.service'))![1]!.split(' ')
    const flag = (name: string): string => exec[exec.indexOf(name) + 1]!
    expect(flag('--initial-advertise-peer-urls')).toBe('https://control-plane-2:2380')
    expect(flag('--listen-peer-urls')).toBe('https://0.0.0.0:2380')
    expect(flag('--initial-cluster')).toBe(
      'control-plane=https://control-plane:2380,control-plane-2=https://control-plane-2:2380,control-plane-3=https://control-plane-3:2380',
    )
    // Clients still use addresses (etcd republishes them at every start).
    expect(flag('--advertise-client-urls')).toBe('https://10.113.0.11:2379')
    // The block again before every start of the member (cloud-init may rewrite /etc/hosts at boot).
    expect(f.byDest('/etc/systemd/system/kubelab-etcd.service')).toMatch(
      /^ExecStartPre=\/var\/lib\/kubelab\/node-runtime\/v22\/bin\/node \/var\/lib\/kubelab\/bin\/etc-hosts\.mjs \/etc\/kubelab\/etc-hosts\.kubelab \/etc\/hosts$/m,
    )
    expect(f.byDest('/etc/kubelab/etc-hosts.kubelab')).toBe(f.etcHosts)
    for (const dest of ['/etc/kubernetes/pki/etcd/peer.crt', '/etc/kubernetes/pki/etcd/server.crt']) {
      const san = new X509Certificate(f.byDest(dest)).subjectAltName ?? ''
      expect(san).toContain('DNS:control-plane-2')
      expect(san).toContain('IP Address:10.113.0.11')
    }
  })

  it('one control plane, or several on the local provider, get none of it', () => {
    const dir = tempDir('kl-havm-')
    const single = files(dir, WORKER)
    expect(single.components).not.toContain('api-lb')
    expect(single.etcHosts).toBeUndefined()
    expect(single.server('/etc/kubelab/kubelet.kubeconfig')).toBe('https://10.113.0.10:6443')
    const local = files(dir, CPS[2]!, { ha: true })
    expect(local.components).not.toContain('api-lb')
    expect(local.etcHosts).toBeUndefined()
    expect(local.byDest('/etc/systemd/system/kubelab-etcd.service')).not.toContain('ExecStartPre')
    expect(local.server('/etc/kubelab/kubelet.kubeconfig')).toBe('https://10.231.4.1:6443')
    const exec = /^ExecStart=(.*)$/m.exec(local.byDest('/etc/systemd/system/kubelab-etcd.service'))![1]!
    expect(exec).toContain('--initial-advertise-peer-urls https://10.113.0.12:2380')
    expect(exec).toContain('--listen-peer-urls https://10.113.0.12:2380')
  })
})

function qemuCtx(dir: string, cps: number): ProviderContext {
  const nodes: NodeRecord[] = [
    ...CPS.slice(0, cps).map((n) => ({ name: n.name, role: 'control-plane' as const, state: 'stopped' as const })),
    { name: 'node-1', role: 'worker', state: 'stopped' },
  ]
  nodes.forEach((n, i) => {
    const nf: QemuNodeFile = {
      vm: `kl-demo-${n.name}`,
      address: `10.113.0.${10 + i}`,
      prefix: 24,
      natMac: '52:54:00:00:10:00',
      labMac: '52:54:00:00:20:00',
      sshPort: 41000 + i,
      ...(n.role === 'control-plane' ? { apiPort: cps > 1 ? 42000 + i : 46443 } : {}),
      forwards: [],
      qmpSocket: join(dir, 'nodes', n.name, 'qmp.sock'),
      instanceId: 'x',
      cpus: 1,
      memoryMiB: 1024,
    }
    mkdirSync(join(dir, 'nodes', n.name), { recursive: true })
    writeFileSync(join(dir, 'nodes', n.name, 'qemu.json'), JSON.stringify(nf))
  })
  return { clusterName: 'demo', clusterDir: dir, nodes, ports: { apiServer: 46443 }, settings: {}, log: () => {} }
}

describe('etc-hosts.mjs', () => {
  it('adds, replaces and removes its block in place, keeping the other lines', async () => {
    const { execFileSync } = await import('node:child_process')
    const { statSync } = await import('node:fs')
    const dir = tempDir('kl-havm-')
    const hosts = join(dir, 'hosts')
    const block = join(dir, 'block')
    const run = (content: string): string => {
      writeFileSync(block, content)
      execFileSync(process.execPath, [join(import.meta.dirname, '..', '..', 'provisioning', 'etc-hosts.mjs'), block, hosts], { stdio: 'ignore' })
      return readFileSync(hosts, 'utf8')
    }
    writeFileSync(hosts, '127.0.0.1 localhost\n127.0.1.1 cp2')
    const inode = statSync(hosts).ino
    const b1 = '# BEGIN kubelab: x\n10.0.0.1 control-plane\n# END kubelab\n'
    expect(run(b1)).toBe(`127.0.0.1 localhost\n127.0.1.1 cp2\n${b1}`)
    const b2 = '# BEGIN kubelab: x\n10.0.0.9 control-plane\n# END kubelab\n'
    expect(run(b2)).toBe(`127.0.0.1 localhost\n127.0.1.1 cp2\n${b2}`)
    expect(run('')).toBe('127.0.0.1 localhost\n127.0.1.1 cp2\n')
    expect(statSync(hosts).ino).toBe(inode)
  })
})

describe('several control planes on QEMU: the host balancer over the API forwards', () => {
  it('listens on the cluster API port over each control plane forward; one control plane keeps its direct forward', async () => {
    const q = new QemuProvider()
    expect(q.nodeApiLb).toBe(true)
    const ha = qemuCtx(tempDir('kl-havm-'), 3)
    expect(await q.haApiEndpoint(ha)).toEqual({ host: '127.0.0.1', port: 46443 })
    expect(await q.apiServerEndpoint(ha)).toEqual({ host: '127.0.0.1', port: 46443 })
    expect(await q.hostApiLbPlan(ha)).toEqual({ listen: '127.0.0.1:46443', backends: ['127.0.0.1:42000', '127.0.0.1:42001', '127.0.0.1:42002'] })
    const one = qemuCtx(tempDir('kl-havm-'), 1)
    expect(await q.haApiEndpoint(one)).toBeUndefined()
    expect(await q.hostApiLbPlan(one)).toBeUndefined()
    expect(await q.apiServerEndpoint(one)).toEqual({ host: '127.0.0.1', port: 46443 })
  })
})

/** A TCP server on 127.0.0.1 that greets every connection with `tag`. */
async function tagServer(tag: string): Promise<{ port: number; server: Server }> {
  const open = new Set<Socket>()
  const server = createServer((s) => {
    open.add(s)
    s.on('close', () => open.delete(s))
    s.on('error', () => {})
    s.write(tag)
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  onTestFinished(() => {
    for (const s of open) s.destroy()
    if (server.listening) server.close()
  })
  return { port: (server.address() as { port: number }).port, server }
}

function readThrough(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port })
    let out = ''
    s.on('data', (d) => {
      out += String(d)
      s.destroy()
      resolve(out)
    })
    s.on('end', () => resolve(out))
    s.on('error', reject)
  })
}

describe('the host balancer process', () => {
  it('runs api-lb.mjs, keeps it for the same backends, replaces it for others, and stops it', async () => {
    const dir = tempDir('kl-havm-')
    const ctx: ProviderContext = { clusterName: 'demo', clusterDir: dir, nodes: [], ports: {}, settings: {}, log: () => {} }
    onTestFinished(() => stopHostApiLb(ctx))
    const a = await tagServer('a')
    const b = await tagServer('b')
    const free = await tagServer('')
    const port = free.port
    free.server.close()
    await ensureHostApiLb(ctx, `127.0.0.1:${port}`, [`127.0.0.1:${a.port}`])
    const first = hostApiLbPid(dir)
    expect(first).toBeGreaterThan(0)
    // Backends are probed over HTTPS (/readyz); these answer no TLS, so every dial is tried anyway.
    expect(await readThrough(port)).toBe('a')
    await ensureHostApiLb(ctx, `127.0.0.1:${port}`, [`127.0.0.1:${a.port}`])
    expect(hostApiLbPid(dir)).toBe(first)
    await ensureHostApiLb(ctx, `127.0.0.1:${port}`, [`127.0.0.1:${b.port}`])
    expect(hostApiLbPid(dir)).not.toBe(first)
    expect((JSON.parse(readFileSync(apiLbFiles(dir).status, 'utf8')) as { backends: { address: string }[] }).backends).toEqual([
      expect.objectContaining({ address: `127.0.0.1:${b.port}` }),
    ])
    expect(await readThrough(port)).toBe('b')
    await stopHostApiLb(ctx)
    expect(hostApiLbPid(dir)).toBeUndefined()
    expect(existsSync(apiLbFiles(dir).pid)).toBe(false)
    await expect(readThrough(port)).rejects.toThrow(/ECONNREFUSED/)
  })
})
