// NetworkPolicy enforcement on real nodes. First the agent's iptables layer alone in a
// network namespace (restore, jump position, stale chains, cleanup). Then, through the REAL
// kubectl: an in-process control plane and two nodes, each a network namespace with its own
// containerd running our kubelet, proxy and netpol agent; policies are applied with kubectl
// and checked with wget between pods (across nodes and on one node). Everything made here
// (processes, namespaces, veths, iptables chains, mounts, cgroups, temp dirs) goes in afterAll.
import { spawnSync } from 'node:child_process'
import type { Pod } from 'kubernetes-types/core/v1'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BUSYBOX_IMAGE } from '../../provisioning/images'
import { hostCommands } from '../../src-cluster/kit/host'
import { ensureBridgeNetfilter, NetpolSyncer, planNode, podChain, type PlanInput } from '../../src-cluster/netpol'
import { sh } from '../helpers/containerd'
import { CLUSTER_CIDR, useNodeCluster } from '../helpers/node-cluster'

// Names and the subnet reserved for this test (other e2e tests run in parallel on this machine).
const subnet = '10.231.202'
const HOST_IP = `${subnet}.1`
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
    pods: [
      {
        metadata: { namespace: 'default', name: 'web', labels: {} },
        spec: { nodeName: 'n', containers: [] },
        status: { phase: 'Running', podIP: '10.244.9.9' },
      },
    ],
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
    expect(
      iptablesSave(netns)
        .split('\n')
        .find((l) => l.startsWith('-A FORWARD ')),
    ).toMatch(/-j KUBELAB-NP-FORWARD$/)
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
  const c = useNodeCluster({
    tag: 'np7',
    bridge: 'np7br',
    hostIp: HOST_IP,
    nodes: NODES,
    agents: (n, cl) => ({
      [`proxy-${n.name}`]: ['proxy', '--kubeconfig', cl.agentKubeconfig, '--node-name', n.name, '--cluster-cidr', CLUSTER_CIDR],
      [`netpol-${n.name}`]: ['netpol', '--kubeconfig', cl.agentKubeconfig, '--node-name', n.name, '--resync', '2'],
    }),
  })
  const { kubectl, k, apply, until, stopChild, nodesReady } = c
  const ips = new Map<string, string>()

  /** Whether `from` gets the page of pod `to` within 3 s (busybox wget has no -T; `timeout` bounds it). */
  async function reaches(from: string, to: string, ns = 'default'): Promise<boolean> {
    const r = await kubectl(['exec', '-n', ns, from, '--', 'timeout', '3', 'wget', '-q', '-O', '-', `http://${ips.get(to)}/`], { timeoutMs: 20_000 })
    if (r.code === 0 && r.stdout !== 'ok\n') throw new Error(`unexpected page from ${to}: ${JSON.stringify(r.stdout)}`)
    if (r.code === 0) return true
    // Dropped packets: wget hangs until `timeout` kills it (143). Anything else is not an answer.
    if (r.code === 143) return false
    throw new Error(`kubectl exec ${from} wget ${to} failed (exit ${r.code}): ${r.stderr}`)
  }
  const untilReaches = (from: string, to: string, ns?: string): Promise<true> =>
    until(`${from} to reach ${to}`, async () => (await reaches(from, to, ns)) || undefined, 30_000)
  const untilBlocked = (from: string, to: string, ns?: string): Promise<true> =>
    until(`${from} to be blocked from ${to}`, async () => !(await reaches(from, to, ns)) || undefined, 30_000)

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
    await nodesReady(120_000)
    await apply(
      `apiVersion: v1\nkind: Namespace\nmetadata: {name: np7-friends, labels: {team: friends}}\n---\n` +
        podYaml('web-a', 'node-a', { app: 'web' }, true) +
        podYaml('web-b', 'node-b', { app: 'web' }, true) +
        podYaml('ok-a', 'node-a', { access: 'yes' }, false) +
        podYaml('no-a', 'node-a', {}, false) +
        podYaml('friend', 'node-b', {}, false, 'np7-friends'),
    )
    for (const [ns, name] of [
      ['default', 'web-a'],
      ['default', 'web-b'],
      ['default', 'ok-a'],
      ['default', 'no-a'],
      ['np7-friends', 'friend'],
    ] as const) {
      const p = await until(
        `pod ${name} Running and Ready`,
        async () => {
          const r = await kubectl(['get', 'pod', '-n', ns, name, '-o', 'json'])
          const pod = r.code === 0 ? (JSON.parse(r.stdout) as Pod) : undefined
          return pod?.status?.phase === 'Running' && pod.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ? pod : undefined
        },
        90_000,
      )
      ips.set(name, p.status!.podIP!)
    }
  }, 170_000)

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
    for (const n of NODES) expect(iptablesSave(c.runtimes.get(n.name)!.netns)).toMatch(/:KUBELAB-NP-I-/)
    for (const a of c.agents.filter((x) => x.what.startsWith('netpol-'))) {
      await stopChild(a.child, 10_000)
      expect(a.child.exitCode).toBe(0)
      c.agents.splice(c.agents.indexOf(a), 1) // stopped on purpose: until() must not treat it as a crash
    }
    for (const n of NODES) expect(iptablesSave(c.runtimes.get(n.name)!.netns)).not.toContain('KUBELAB-NP')
    // nothing enforces the policy now
    expect(await untilReaches('no-a', 'web-b')).toBe(true)
  })
})
