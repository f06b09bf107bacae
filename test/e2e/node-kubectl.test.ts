// Issue 4 acceptance through the REAL kubectl: one in-process control plane on the host and two
// nodes, each a network namespace with its own containerd, running OUR node agent as child
// processes inside that namespace (`kubelab-node kubelet` and `proxy`; node A also runs `dns`).
// Pods get CNI addresses from their node's podCIDR, talk across nodes, reach a Service by
// ClusterIP, DNS name and NodePort, and kubectl logs -f / exec -it / exec -i / port-forward go
// API server → kubelet HTTPS → containerd's streaming server. Everything made here (processes,
// namespaces, veths, iptables chains, mounts, cgroups, temp dirs) is removed in afterAll.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { existsSync, readdirSync, writeFileSync } from 'node:fs'
import { get as httpGet } from 'node:http'
import { join } from 'node:path'
import type { Node } from 'kubernetes-types/core/v1'
import * as pty from 'node-pty'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BUSYBOX_IMAGE } from '../../provisioning/images'
import { CNI_NETWORK_NAME } from '../../src-cluster/kubelet/network/cni-config'
import { KUBECTL } from '../helpers/apiserver'
import { CLUSTER_CIDR, isReady as ready, useNodeCluster } from '../helpers/node-cluster'

const tag = process.pid % 1000
// A /24 of 10.231.0.0/16 of our own, so parallel e2e tests on other bridges do not collide.
const subnet = '10.231.204'
const HOST_IP = `${subnet}.1`
const NODES = [
  { name: 'node-a', short: `na${tag}`, ip: `${subnet}.2` },
  { name: 'node-b', short: `nb${tag}`, ip: `${subnet}.3` },
] as const

const c = useNodeCluster({
  tag: 'e2e',
  bridge: `klnk${tag}`,
  hostIp: HOST_IP,
  nodes: NODES,
  agents: (n, cl) => ({
    [`proxy-${n.name}`]: ['proxy', '--kubeconfig', cl.agentKubeconfig, '--node-name', n.name, '--cluster-cidr', CLUSTER_CIDR],
    // DNS binds the node address, not 0.0.0.0: a wildcard UDP socket answers local pods from the
    // pod bridge's address, which conntrack cannot match to the DNAT of 10.96.0.10.
    ...(n.name === 'node-a'
      ? {
          dns: [
            'dns',
            '--kubeconfig',
            cl.agentKubeconfig,
            '--bind',
            `${n.ip}:53`,
            '--advertise-address',
            n.ip,
            '--node-name',
            'node-a',
            '--upstream',
            `${HOST_IP}:53`,
          ],
        }
      : {}),
  }),
})
const { kubectl, k, until, getPod } = c
/** kubectl processes that stream (logs -f, port-forward): killed if a test fails half-way. */
const streams: ChildProcess[] = []
afterAll(() => {
  for (const s of streams) s.kill('SIGKILL')
})

function httpBody(url: string): Promise<string> {
  return new Promise((ok, fail) => {
    const req = httpGet(url, (res) => {
      let body = ''
      res.on('data', (d: Buffer) => (body += d))
      res.on('end', () => ok(body))
    })
    req.setTimeout(5000, () => req.destroy(new Error(`GET ${url} timed out`)))
    req.on('error', fail)
  })
}

/** `wget` inside the client pod (on node A) through kubectl exec; busybox wget has no -T, kubectl's timeout bounds it. */
async function wgetFromClient(url: string): Promise<string> {
  return k('exec', 'client', '--', 'wget', '-q', '-O', '-', url)
}

beforeAll(async () => {
  await c.nodesReady()
  writeFileSync(
    join(c.dir, 'workload.yaml'),
    `apiVersion: v1
kind: Pod
metadata: {name: server, labels: {app: server}}
spec:
  nodeName: node-b
  terminationGracePeriodSeconds: 2
  containers:
  - name: web
    image: ${BUSYBOX_IMAGE}
    imagePullPolicy: Never
    command: [sh, -c, 'mkdir -p /www && echo "hello from $(hostname)" > /www/index.html && exec httpd -f -p 80 -h /www']
    ports: [{containerPort: 80}]
    readinessProbe: {tcpSocket: {port: 80}, periodSeconds: 1}
---
apiVersion: v1
kind: Pod
metadata: {name: client}
spec:
  nodeName: node-a
  terminationGracePeriodSeconds: 1
  containers:
  - name: c
    image: ${BUSYBOX_IMAGE}
    imagePullPolicy: Never
    command: [sh, -c, 'trap "exit 0" TERM; while :; do sleep 1; done']
---
apiVersion: v1
kind: Pod
metadata: {name: ticker}
spec:
  nodeName: node-a
  terminationGracePeriodSeconds: 1
  containers:
  - name: t
    image: ${BUSYBOX_IMAGE}
    imagePullPolicy: Never
    command: [sh, -c, 'trap "exit 0" TERM; i=0; while :; do echo "tick $i"; i=$((i+1)); sleep 0.2; done']
---
apiVersion: v1
kind: Service
metadata: {name: server}
spec:
  type: NodePort
  selector: {app: server}
  ports: [{name: http, port: 80, targetPort: 80}]
`,
  )
  await k('apply', '-f', join(c.dir, 'workload.yaml'))
  for (const p of ['server', 'client', 'ticker']) await until(`pod ${p} Running and Ready`, async () => ready(await getPod(p)), 90_000)
}, 170_000)

describe('two real nodes through the real kubectl', () => {
  it('registers both nodes and runs each pod on its node with an address from that node podCIDR', async () => {
    const nodes = (JSON.parse(await k('get', 'nodes', '-o', 'json')) as { items: Node[] }).items
    const cidr = new Map(nodes.map((n) => [n.metadata?.name, n.spec?.podCIDR ?? '']))
    expect(cidr.get('node-a')).toMatch(/^10\.244\.\d+\.0\/24$/)
    expect(cidr.get('node-a')).not.toBe(cidr.get('node-b'))
    for (const [pod, node] of [
      ['server', 'node-b'],
      ['client', 'node-a'],
    ] as const) {
      const p = (await getPod(pod))!
      expect(p.spec?.nodeName).toBe(node)
      expect(p.status?.hostIP).toBe(NODES.find((n) => n.name === node)!.ip)
      expect(p.status?.podIP?.split('.').slice(0, 3).join('.')).toBe(cidr.get(node)!.split('.').slice(0, 3).join('.'))
    }
    expect(await k('get', 'pods', '-o', 'wide')).toMatch(/server\s+1\/1\s+Running\s+0\s+\S+\s+10\.244\.\d+\.\d+\s+node-b/)
  })

  it('streams logs with logs -f: lines written after it started arrive', async () => {
    const before = await k('logs', 'ticker')
    const last = Math.max(...[...before.matchAll(/tick (\d+)/g)].map((m) => Number(m[1])))
    expect(last).toBeGreaterThanOrEqual(0)
    const child = spawn(KUBECTL, ['--kubeconfig', c.kubeconfig, '--cache-dir', c.cacheDir, 'logs', '-f', 'ticker'], { env: c.kubectlEnv })
    streams.push(child)
    let out = ''
    child.stdout.on('data', (d: Buffer) => (out += d))
    const target = `tick ${last + 5}\n`
    await until('logs -f to deliver new lines', async () => out.includes(target) || child.exitCode !== null, 30_000)
    // still following: the stream did not end after the lines it had
    expect(child.exitCode).toBeNull()
    expect(out.startsWith('tick 0\n')).toBe(true)
    child.kill('SIGTERM')
  })

  it('runs an interactive shell with exec -it on a TTY and returns its exit code', async () => {
    const term = pty.spawn(KUBECTL, ['--kubeconfig', c.kubeconfig, '--cache-dir', c.cacheDir, 'exec', '-it', 'client', '--', 'sh'], {
      cols: 100,
      rows: 30,
      env: { ...c.kubectlEnv, TERM: 'xterm' },
    })
    let out = ''
    term.onData((d) => (out += d))
    const exited = new Promise<number>((r) => term.onExit(({ exitCode }) => r(exitCode)))
    try {
      await until('the shell prompt', async () => out.includes('#'), 30_000)
      term.write('tty; echo "sum=$((6*7))"\r')
      await until('the command output', async () => out.includes('sum=42'), 20_000)
      expect(out).toMatch(/\/dev\/pts\/\d+/)
      term.write('exit 3\r')
      expect(await exited).toBe(3)
    } finally {
      term.kill()
    }
  })

  it('passes stdin to exec -i and delivers end of input', async () => {
    const r = await kubectl(['exec', '-i', 'client', '--', 'cat'], { input: 'hi\nthere\n', timeoutMs: 30_000 })
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    expect(r.stdout).toBe('hi\nthere\n')
    const wc = await kubectl(['exec', '-i', 'client', '--', 'wc', '-l'], { input: 'a\nb\nc\n', timeoutMs: 30_000 })
    expect(wc.stdout.trim()).toBe('3')
    const code = await kubectl(['exec', 'client', '--', 'sh', '-c', 'exit 5'], { timeoutMs: 30_000 })
    expect(code.code).toBe(5)
  })

  it('serves a request through port-forward', async () => {
    const child = spawn(KUBECTL, ['--kubeconfig', c.kubeconfig, '--cache-dir', c.cacheDir, 'port-forward', 'pod/server', ':80'], { env: c.kubectlEnv })
    streams.push(child)
    let out = ''
    let err = ''
    child.stdout.on('data', (d: Buffer) => (out += d))
    child.stderr.on('data', (d: Buffer) => (err += d))
    const port = await until(
      'port-forward to listen',
      async () => {
        if (child.exitCode !== null) throw new Error(`port-forward exited ${child.exitCode}: ${err}`)
        return /Forwarding from 127\.0\.0\.1:(\d+) -> 80/.exec(out)?.[1]
      },
      30_000,
    )
    expect(await httpBody(`http://127.0.0.1:${port}/`)).toBe('hello from server\n')
    // a second connection over the same forward
    expect(await httpBody(`http://127.0.0.1:${port}/index.html`)).toBe('hello from server\n')
    child.kill('SIGTERM')
  })

  it('lets a pod on node A reach a pod on node B by its IP', async () => {
    const ip = (await getPod('server'))!.status!.podIP!
    expect(await wgetFromClient(`http://${ip}/`)).toBe('hello from server\n')
  })

  it('reaches the Service by ClusterIP and by DNS name, full and short', async () => {
    const svc = JSON.parse(await k('get', 'service', 'server', '-o', 'json')) as { spec: { clusterIP: string } }
    expect(svc.spec.clusterIP).toMatch(/^10\.(9[6-9]|1[01]\d)\./)
    await until('the Service endpoints', async () => /\d+\.\d+\.\d+\.\d+:80/.test(await k('get', 'endpoints', 'server')))
    expect(await until('ClusterIP to answer', async () => wgetFromClient(`http://${svc.spec.clusterIP}/`), 20_000)).toBe('hello from server\n')
    const resolvConf = await k('exec', 'client', '--', 'cat', '/etc/resolv.conf')
    expect(resolvConf).toMatch(/nameserver 10\.96\.0\.10/)
    expect(resolvConf).toMatch(/search default\.svc\.cluster\.local svc\.cluster\.local cluster\.local/)
    expect(await until('the full DNS name to answer', async () => wgetFromClient('http://server.default.svc.cluster.local/'), 20_000)).toBe(
      'hello from server\n',
    )
    expect(await wgetFromClient('http://server/')).toBe('hello from server\n')
  })

  it('reaches the Service by NodePort from the host on either node', async () => {
    const svc = JSON.parse(await k('get', 'service', 'server', '-o', 'json')) as { spec: { ports: { nodePort: number }[] } }
    const nodePort = svc.spec.ports[0]!.nodePort
    expect(nodePort).toBeGreaterThanOrEqual(30000)
    expect(nodePort).toBeLessThanOrEqual(32767)
    // node A has no server pod: its rule forwards across to node B
    for (const n of NODES) expect(await until(`NodePort on ${n.name}`, () => httpBody(`http://${n.ip}:${nodePort}/`), 20_000)).toBe('hello from server\n')
  })

  it('deleting a pod stops its containers and frees its IP', async () => {
    const p = (await getPod('server'))!
    const ip = p.status!.podIP!
    const cid = (p.status?.containerStatuses?.[0]?.containerID ?? '').replace('containerd://', '')
    expect(cid).not.toBe('')
    const rt = c.runtime('node-b')
    const tasks = (): string => spawnSync('ctr', ['-a', rt.socket, '-n', 'k8s.io', 'tasks', 'ls', '-q'], { encoding: 'utf8' }).stdout
    expect(tasks()).toContain(cid)
    const ipam = join(c.dir, 'node-b', 'kubelet', 'cni-ipam', CNI_NETWORK_NAME)
    expect(readdirSync(ipam)).toContain(ip)
    await k('delete', 'pod', 'server', '--wait=true', '--timeout=60s')
    expect(await getPod('server')).toBeUndefined()
    expect(tasks()).not.toContain(cid)
    expect(existsSync(join(ipam, ip))).toBe(false)
    // and the Service has nothing left to send traffic to
    await until('the endpoint to go', async () => !/\d+\.\d+\.\d+\.\d+:80/.test(await k('get', 'endpoints', 'server')), 20_000)
  })
})
