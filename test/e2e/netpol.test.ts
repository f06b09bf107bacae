// NetworkPolicy enforcement on real nodes. First the agent's iptables layer alone in a
// network namespace (restore, jump position, stale chains, cleanup). Then, through the REAL
// kubectl: an in-process control plane and two nodes, each a network namespace with its own
// containerd running our kubelet, proxy and netpol agent; policies are applied with kubectl
// and checked with wget between pods (across nodes and on one node). Everything made here
// (processes, namespaces, veths, iptables chains, mounts, cgroups, temp dirs) goes in afterAll.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import type { Node, Pod } from 'kubernetes-types/core/v1'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { busyboxImageSpec, loadImage, pauseImageSpec, writeImage, BUSYBOX_IMAGE } from '../../provisioning/images'
import { issueCert } from '../../src-cluster/apiserver/pki'
import { writeKubeconfig } from '../../src-cluster/apiserver/kubeconfig'
import { startControlPlane, type ControlPlane } from '../../src-cluster/cmd/control-plane'
import { hostCommands } from '../../src-cluster/kubelet/network/exec'
import { ensureBridgeNetfilter, NetpolSyncer, planNode, podChain, type PlanInput } from '../../src-cluster/netpol'
import { KUBECTL, type KubectlResult } from '../helpers/apiserver'
import { createTestBridge, removeCgroupTree, sh, startContainerdNode, type ContainerdNode, type TestBridge } from '../helpers/containerd'

const repo = resolve(__dirname, '../..')
// Names and the subnet reserved for this test (other e2e tests run in parallel on this machine).
const subnet = '10.231.202'
const HOST_IP = `${subnet}.1`
const CLUSTER_CIDR = '10.244.0.0/16'
const NODES = [
  { name: 'node-a', short: 'np7a', ip: `${subnet}.2` },
  { name: 'node-b', short: 'np7b', ip: `${subnet}.3` },
] as const

const iptablesSave = (netns: string): string => spawnSync('ip', ['netns', 'exec', netns, 'iptables-save', '-t', 'filter'], { encoding: 'utf8' }).stdout

describe('the iptables layer in a network namespace', () => {
  const netns = `np7k-${process.pid % 100000}`
  const input = (policies: PlanInput['policies']): PlanInput => ({
    nodeName: 'n',
    namespaces: [],
    policies,
    pods: [{ metadata: { namespace: 'default', name: 'web', labels: {} }, spec: { nodeName: 'n', containers: [] }, status: { phase: 'Running', podIP: '10.244.9.9' } }],
  })
  const deny = { metadata: { namespace: 'default', name: 'deny' }, spec: { podSelector: {} } }

  beforeAll(async () => {
    spawnSync('ip', ['netns', 'del', netns])
    await sh('ip', ['netns', 'add', netns])
  })
  afterAll(() => {
    spawnSync('ip', ['netns', 'del', netns])
  })

  it('applies, keeps its jumps first, drops stale chains and cleans up to nothing', async () => {
    const cmd = hostCommands(netns)
    // Someone else's ACCEPT in FORWARD (as the kubelet's chain would be): ours must go before it.
    await cmd.must('iptables', ['-w', '-I', 'FORWARD', '1', '-s', '10.244.9.0/24', '-j', 'ACCEPT'])
    const syncer = new NetpolSyncer(netns)
    const first = await syncer.sync(planNode(input([deny])))
    expect(first.applied).toBe(true)
    let saved = iptablesSave(netns)
    const chain = podChain('ingress', 'default/web')
    expect(saved).toContain(`-A KUBELAB-NP-FORWARD -d 10.244.9.9/32 -m comment --comment "default/web ingress" -j ${chain}`)
    const forward = saved.split('\n').filter((l) => l.startsWith('-A FORWARD '))
    expect(forward[0]).toMatch(/-j KUBELAB-NP-FORWARD$/)
    expect(forward.filter((l) => l.includes('KUBELAB-NP-FORWARD'))).toHaveLength(1)
    expect(saved.split('\n').find((l) => l.startsWith('-A INPUT '))).toMatch(/-j KUBELAB-NP-INPUT$/)
    // unchanged input: nothing re-applied, jumps untouched
    expect(await syncer.sync(planNode(input([deny])))).toEqual({ applied: false, movedJumps: [] })
    // another rule pushed ahead of ours is overtaken again
    await cmd.must('iptables', ['-w', '-I', 'FORWARD', '1', '-j', 'ACCEPT'])
    expect((await syncer.sync(planNode(input([deny])))).movedJumps).toEqual(['FORWARD'])
    expect(iptablesSave(netns).split('\n').find((l) => l.startsWith('-A FORWARD '))).toMatch(/-j KUBELAB-NP-FORWARD$/)
    // the policy goes: its chains go with it
    await syncer.sync(planNode(input([])))
    saved = iptablesSave(netns)
    expect(saved).not.toContain(chain)
    expect(saved).toContain(':KUBELAB-NP-FORWARD')
    await syncer.cleanup()
    saved = iptablesSave(netns)
    expect(saved).not.toContain('KUBELAB-NP')
    // the other rules were left alone
    expect(saved).toContain('-A FORWARD -s 10.244.9.0/24 -j ACCEPT')
  })

  it('turns on bridge netfilter in the namespace', async () => {
    const cmd = hostCommands(netns)
    await cmd.run('sysctl', ['-q', '-w', 'net.bridge.bridge-nf-call-iptables=0'])
    expect(await ensureBridgeNetfilter(cmd)).toBeUndefined()
    expect((await cmd.must('sysctl', ['-n', 'net.bridge.bridge-nf-call-iptables'])).trim()).toBe('1')
  })
})

describe('NetworkPolicies through the real kubectl on two real nodes', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kubelab-np7-'))
  const kubeconfig = join(dir, 'admin.kubeconfig')
  const cacheDir = join(dir, 'kube-cache')
  const kubectlEnv = { ...process.env, HOME: dir, KUBECONFIG: kubeconfig } as Record<string, string>
  let cp: ControlPlane | undefined
  let bridge: TestBridge | undefined
  const runtimes = new Map<string, ContainerdNode>()
  const agents: { what: string; child: ChildProcess; log: string }[] = []
  const cgroupRoot = (node: string): string => `/kubelab-e2e-np7-${process.pid}-${node}`
  const ips = new Map<string, string>()

  function kubectl(args: string[], o: { input?: string; timeoutMs?: number } = {}): Promise<KubectlResult> {
    return new Promise((done) => {
      const child = spawn(KUBECTL, ['--kubeconfig', kubeconfig, '--cache-dir', cacheDir, ...args], { env: kubectlEnv })
      let stdout = ''
      let stderr = ''
      child.stdout.on('data', (d: Buffer) => (stdout += d))
      child.stderr.on('data', (d: Buffer) => (stderr += d))
      const timer = setTimeout(() => child.kill('SIGKILL'), o.timeoutMs ?? 60_000)
      child.on('close', (code) => {
        clearTimeout(timer)
        done({ code: code ?? 1, stdout, stderr })
      })
      child.stdin.end(o.input ?? '')
    })
  }

  async function k(...args: string[]): Promise<string> {
    const r = await kubectl(args)
    if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed (exit ${r.code}):\n${r.stderr}${r.stdout}`)
    return r.stdout
  }

  const apply = (yaml: string): Promise<KubectlResult> => kubectl(['apply', '-f', '-'], { input: yaml }).then((r) => {
    if (r.code !== 0) throw new Error(`kubectl apply failed: ${r.stderr}`)
    return r
  })

  function agentLogs(): string {
    return agents.map((a) => `--- ${a.what}:\n${existsSync(a.log) ? readFileSync(a.log, 'utf8').slice(-2500) : ''}`).join('\n')
  }

  async function until<T>(what: string, check: () => Promise<T | undefined | false>, timeoutMs = 60_000): Promise<T> {
    const end = Date.now() + timeoutMs
    let last: unknown
    for (;;) {
      for (const a of agents) if (a.child.exitCode !== null) throw new Error(`${a.what} exited with ${a.child.exitCode} while waiting for ${what}\n${agentLogs()}`)
      try {
        const v = await check()
        if (v) return v
        last = v
      } catch (e) {
        last = e
      }
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}; last: ${last instanceof Error ? last.message : JSON.stringify(last)}\n${agentLogs()}`)
      await new Promise((r) => setTimeout(r, 300))
    }
  }

  function startAgent(netns: string, what: string, args: string[]): void {
    const log = join(dir, `${what}.log`)
    const fd = openSync(log, 'a')
    // nsenter joins only the network namespace, so the kubelet still sees the host's cgroups.
    const child = spawn('nsenter', [`--net=/run/netns/${netns}`, process.execPath, join(repo, 'bin/kubelab-node.mjs'), ...args], { cwd: repo, stdio: ['ignore', fd, fd] })
    closeSync(fd)
    agents.push({ what, child, log })
  }

  async function stopChild(child: ChildProcess, graceMs: number): Promise<void> {
    if (child.exitCode !== null || child.signalCode !== null) return
    const exited = new Promise<void>((r) => child.once('exit', () => r()))
    child.kill('SIGTERM')
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs)
    await exited
    clearTimeout(timer)
  }

  /** Whether `from` gets the page of pod `to` within 3 s (busybox wget has no -T; `timeout` bounds it). */
  async function reaches(from: string, to: string, ns = 'default'): Promise<boolean> {
    const r = await kubectl(['exec', '-n', ns, from, '--', 'timeout', '3', 'wget', '-q', '-O', '-', `http://${ips.get(to)}/`], { timeoutMs: 20_000 })
    if (r.code === 0 && r.stdout !== 'ok\n') throw new Error(`unexpected page from ${to}: ${JSON.stringify(r.stdout)}`)
    if (r.code === 0) return true
    // Dropped packets: wget hangs until `timeout` kills it (143). Anything else is not an answer.
    if (r.code === 143) return false
    throw new Error(`kubectl exec ${from} wget ${to} failed (exit ${r.code}): ${r.stderr}`)
  }
  const untilReaches = (from: string, to: string, ns?: string): Promise<true> => until(`${from} to reach ${to}`, async () => (await reaches(from, to, ns)) || undefined, 30_000)
  const untilBlocked = (from: string, to: string, ns?: string): Promise<true> => until(`${from} to be blocked from ${to}`, async () => !(await reaches(from, to, ns)) || undefined, 30_000)

  const podYaml = (name: string, node: string, labels: Record<string, string>, server: boolean, ns = 'default'): string => `apiVersion: v1
kind: Pod
metadata: {name: ${name}, namespace: ${ns}, labels: ${JSON.stringify(labels)}}
spec:
  nodeName: ${node}
  terminationGracePeriodSeconds: 1
  containers:
  - name: c
    image: ${BUSYBOX_IMAGE}
    imagePullPolicy: Never
    command: [sh, -c, '${server ? 'mkdir -p /var/www && echo ok > /var/www/index.html && exec httpd -f -p 80 -h /var/www' : 'trap "exit 0" TERM; while :; do sleep 1; done'}']
${server ? '    ports: [{name: http, containerPort: 80}]\n    readinessProbe: {tcpSocket: {port: 80}, periodSeconds: 1}\n' : ''}---
`

  beforeAll(async () => {
    bridge = await createTestBridge('np7br', `${HOST_IP}/24`)
    cp = await startControlPlane({ dataDir: join(dir, 'data'), bindAddress: HOST_IP, securePort: 0, adminKubeconfig: kubeconfig, extraSANs: [HOST_IP], controllerOptions: { clusterCIDR: CLUSTER_CIDR }, log: () => {} })
    const api = cp.apiserver
    const agentKubeconfig = join(dir, 'agent.kubeconfig')
    writeKubeconfig(agentKubeconfig, { server: api.url, caPem: api.pki.ca.certPem, user: 'kubelab-node', certPem: api.admin.certPem, keyPem: api.admin.keyPem })
    const images = await Promise.all(
      [busyboxImageSpec(), pauseImageSpec()].map(async (spec) => {
        const tar = join(dir, `${spec.name.replace(/[/:]/g, '_')}.tar`)
        await writeImage(spec, tar)
        return tar
      }),
    )
    await Promise.all(
      NODES.map(async (n) => {
        const rt = await startContainerdNode(n.short, { bridge: bridge!, ip: n.ip })
        runtimes.set(n.name, rt)
        for (const tar of images) await loadImage(tar, { socket: rt.socket, snapshotter: rt.snapshotter })
        const serving = issueCert(api.pki.ca, { commonName: `system:node:${n.name}`, organizations: ['system:nodes'], server: true, ipAddresses: [n.ip] })
        const nodeDir = join(dir, n.name)
        mkdirSync(nodeDir, { recursive: true })
        writeFileSync(join(nodeDir, 'kubelet.crt'), serving.certPem)
        writeFileSync(join(nodeDir, 'kubelet.key'), serving.keyPem, { mode: 0o600 })
        startAgent(rt.netns, `kubelet-${n.name}`, [
          'kubelet',
          '--kubeconfig', agentKubeconfig,
          '--node-name', n.name,
          '--node-ip', n.ip,
          '--container-runtime-endpoint', `unix://${rt.socket}`,
          '--root-dir', join(nodeDir, 'kubelet'),
          '--pod-log-dir', join(nodeDir, 'pods'),
          '--tls-cert-file', join(nodeDir, 'kubelet.crt'),
          '--tls-private-key-file', join(nodeDir, 'kubelet.key'),
          '--cni-conf-dir', rt.cniConfDir,
          '--cluster-cidr', CLUSTER_CIDR,
          '--cgroup-root', cgroupRoot(n.name),
          '--port', '10250',
        ])
        startAgent(rt.netns, `proxy-${n.name}`, ['proxy', '--kubeconfig', agentKubeconfig, '--node-name', n.name, '--cluster-cidr', CLUSTER_CIDR])
        startAgent(rt.netns, `netpol-${n.name}`, ['netpol', '--kubeconfig', agentKubeconfig, '--node-name', n.name, '--resync', '2'])
      }),
    )
    await until('both nodes Ready with a podCIDR', async () => {
      const list = JSON.parse(await k('get', 'nodes', '-o', 'json')) as { items: Node[] }
      if (list.items.length === 2 && list.items.every((n) => n.spec?.podCIDR && n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'))) return true
      throw new Error(list.items.map((n) => `${n.metadata?.name} podCIDR=${n.spec?.podCIDR} ${(n.status?.conditions ?? []).map((c) => `${c.type}=${c.status} (${c.message ?? ''})`).join(', ')}`).join('; ') || 'no nodes')
    }, 120_000)
    await apply(
      `apiVersion: v1\nkind: Namespace\nmetadata: {name: np7-friends, labels: {team: friends}}\n---\n` +
        podYaml('web-a', 'node-a', { app: 'web' }, true) +
        podYaml('web-b', 'node-b', { app: 'web' }, true) +
        podYaml('ok-a', 'node-a', { access: 'yes' }, false) +
        podYaml('no-a', 'node-a', {}, false) +
        podYaml('friend', 'node-b', {}, false, 'np7-friends'),
    )
    for (const [ns, name] of [['default', 'web-a'], ['default', 'web-b'], ['default', 'ok-a'], ['default', 'no-a'], ['np7-friends', 'friend']] as const) {
      const p = await until(`pod ${name} Running and Ready`, async () => {
        const r = await kubectl(['get', 'pod', '-n', ns, name, '-o', 'json'])
        const pod = r.code === 0 ? (JSON.parse(r.stdout) as Pod) : undefined
        return pod?.status?.phase === 'Running' && pod.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ? pod : undefined
      }, 90_000)
      ips.set(name, p.status!.podIP!)
    }
  }, 170_000)

  afterAll(async () => {
    if (cp && agents.some((a) => a.what.startsWith('kubelet') && a.child.exitCode === null)) {
      await kubectl(['delete', 'pods', '--all', '--all-namespaces', '--wait=true', '--timeout=40s'], { timeoutMs: 50_000 })
    }
    for (const a of [...agents].reverse()) await stopChild(a.child, 10_000)
    for (const rt of runtimes.values()) await rt.stop()
    for (const n of NODES) removeCgroupTree(cgroupRoot(n.name))
    await cp?.close()
    await bridge?.remove()
    rmSync(dir, { recursive: true, force: true })
  }, 120_000)

  it('lets every pod reach the web pods while no policy exists', async () => {
    expect(await untilReaches('ok-a', 'web-b')).toBe(true)
    expect(await reaches('no-a', 'web-a')).toBe(true)
    expect(await reaches('friend', 'web-b', 'np7-friends')).toBe(true)
  })

  it('default-deny ingress blocks clients across nodes and on the same node', async () => {
    await apply(`apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: default-deny, namespace: default}
spec: {podSelector: {}, policyTypes: [Ingress]}
`)
    await untilBlocked('ok-a', 'web-b')
    await untilBlocked('ok-a', 'web-a')
    expect(await k('get', 'netpol')).toMatch(/default-deny\s+<none>/)
  })

  it('an allow by podSelector lets only the labelled client in, across nodes and on the same node', async () => {
    await apply(`apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: allow-access, namespace: default}
spec:
  podSelector: {matchLabels: {app: web}}
  ingress:
  - from: [{podSelector: {matchLabels: {access: "yes"}}}]
    ports: [{port: http}]
`)
    await untilReaches('ok-a', 'web-b')
    await untilReaches('ok-a', 'web-a')
    expect(await reaches('no-a', 'web-b')).toBe(false)
    expect(await reaches('no-a', 'web-a')).toBe(false)
    expect(await reaches('friend', 'web-b', 'np7-friends')).toBe(false)
  })

  it('follows label changes of pods and namespaces (podSelector, namespaceSelector)', async () => {
    await k('label', 'pod', 'no-a', 'access=yes')
    await untilReaches('no-a', 'web-b')
    await k('label', 'pod', 'no-a', 'access-')
    await untilBlocked('no-a', 'web-b')
    await apply(`apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: allow-friends, namespace: default}
spec:
  podSelector: {matchLabels: {app: web}}
  ingress:
  - from: [{namespaceSelector: {matchLabels: {team: friends}}}]
`)
    await untilReaches('friend', 'web-b', 'np7-friends')
    await k('label', 'namespace', 'np7-friends', 'team=strangers', '--overwrite')
    await untilBlocked('friend', 'web-b', 'np7-friends')
  })

  it('egress deny blocks a pod going out, and deleting it restores access', async () => {
    await apply(`apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: no-egress, namespace: default}
spec: {podSelector: {matchLabels: {access: "yes"}}, policyTypes: [Egress]}
`)
    await untilBlocked('ok-a', 'web-b')
    expect(await reaches('ok-a', 'web-a')).toBe(false)
    await k('delete', 'netpol', 'no-egress')
    await untilReaches('ok-a', 'web-b')
  })

  it('deleting the policies restores access for everyone', async () => {
    await k('delete', 'netpol', '--all')
    await untilReaches('no-a', 'web-b')
    expect(await reaches('no-a', 'web-a')).toBe(true)
    expect(await reaches('friend', 'web-b', 'np7-friends')).toBe(true)
  })

  it('leaves no KUBELAB-NP chains behind when the agents stop', async () => {
    // A policy in force, so there are pod and policy chains to remove.
    await apply(`apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: default-deny, namespace: default}
spec: {podSelector: {}}
`)
    await untilBlocked('no-a', 'web-b')
    for (const n of NODES) expect(iptablesSave(runtimes.get(n.name)!.netns)).toMatch(/:KUBELAB-NP-I-/)
    for (const a of agents.filter((x) => x.what.startsWith('netpol-'))) {
      await stopChild(a.child, 10_000)
      expect(a.child.exitCode).toBe(0)
      agents.splice(agents.indexOf(a), 1) // stopped on purpose: until() must not treat it as a crash
    }
    for (const n of NODES) expect(iptablesSave(runtimes.get(n.name)!.netns)).not.toContain('KUBELAB-NP')
    // nothing enforces the policy now
    expect(await untilReaches('no-a', 'web-b')).toBe(true)
  })
})
