// Issue 4, the kubelet and proxy behaviour the first e2e suites did not prove, through the REAL
// kubectl on a real containerd node: readiness gating EndpointSlices, attach, startup probes,
// preStop + grace + KILL, hostPath and local PVs, image pull policies without a registry,
// `kubectl top`, LoadBalancer addresses, ClientIP affinity, Service environment variables and
// --node-labels. One in-process control plane on the host; one node = a network namespace with
// its own containerd running OUR `kubelab-node kubelet` and `proxy` as child processes.
// Everything made here (processes, netns, veths, routes, iptables chains, mounts, cgroups, temp
// dirs) is removed in afterAll.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { get as httpGet } from 'node:http'
import { request as httpsRequest } from 'node:https'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import type { Node, Pod } from 'kubernetes-types/core/v1'
import type { EndpointSlice } from 'kubernetes-types/discovery/v1'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { busyboxImageSpec, loadImage, pauseImageSpec, writeImage, BUSYBOX_IMAGE } from '../../provisioning/images'
import { issueCert, issueClientCert } from '../../src-cluster/apiserver/pki'
import { writeKubeconfig } from '../../src-cluster/apiserver/kubeconfig'
import { startControlPlane, type ControlPlane } from '../../src-cluster/cmd/control-plane'
import { KUBECTL, type KubectlResult } from '../helpers/apiserver'
import { createTestBridge, removeCgroupTree, startContainerdNode, type ContainerdNode, type TestBridge } from '../helpers/containerd'

const repo = resolve(__dirname, '../..')
const tag = process.pid % 1000
// Our subnet (issue 4 tests): 10.231.201.0/24; the LoadBalancer pool is its top /28.
const HOST_IP = '10.231.201.1'
const NODE_IP = '10.231.201.2'
const LB_POOL = '10.231.201.240/28'
const CLUSTER_CIDR = '10.244.0.0/16'
const NODE = 'k4-node'

const dir = mkdtempSync(join(tmpdir(), 'kubelab-k4-'))
const kubeconfig = join(dir, 'admin.kubeconfig')
const cacheDir = join(dir, 'kube-cache')
const hostDir = join(dir, 'host-path')
const pvDir = join(dir, 'local-pv')
const kubectlEnv = { ...process.env, HOME: dir, KUBECONFIG: kubeconfig } as Record<string, string>
const cgroupRoot = `/kubelab-k4-${process.pid}`
let cp: ControlPlane | undefined
let bridge: TestBridge | undefined
let rt: ContainerdNode | undefined
let lbRoute = false
let kubeletArgs: string[] = []
const agents: { what: string; child: ChildProcess; log: string }[] = []
const streams: ChildProcess[] = []

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
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed (exit ${r.code}): ${r.stderr}${r.stdout}`)
  return r.stdout
}

function agentLogs(): string {
  return agents.map((a) => `--- ${a.what} (${a.log}):\n${existsSync(a.log) ? readFileSync(a.log, 'utf8').slice(-3000) : ''}`).join('\n')
}

async function until<T>(what: string, check: () => Promise<T | undefined | false>, timeoutMs = 60_000): Promise<T> {
  const end = Date.now() + timeoutMs
  let last: unknown
  for (;;) {
    for (const a of agents) if (a.child.exitCode !== null && !a.what.endsWith('(old)')) throw new Error(`${a.what} exited with ${a.child.exitCode} while waiting for ${what}\n${agentLogs()}`)
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

async function getPod(name: string): Promise<Pod | undefined> {
  const r = await kubectl(['get', 'pod', name, '-o', 'json'])
  return r.code === 0 ? (JSON.parse(r.stdout) as Pod) : undefined
}

const ready = (p: Pod | undefined): boolean => p?.status?.phase === 'Running' && !!p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')

async function apply(yaml: string): Promise<void> {
  const r = await kubectl(['apply', '-f', '-'], { input: yaml })
  if (r.code !== 0) throw new Error(`kubectl apply failed: ${r.stderr}`)
}

/** Starts `kubelab-node SUBCOMMAND` inside the node's network namespace, output to a log file. */
function startAgent(what: string, args: string[]): ChildProcess {
  const log = join(dir, `${what}.log`)
  const fd = openSync(log, 'a')
  // only the network namespace: the kubelet must see the host's cgroup and mount trees
  const child = spawn('nsenter', [`--net=/run/netns/${rt!.netns}`, process.execPath, join(repo, 'bin/kubelab-node.mjs'), ...args], { cwd: repo, stdio: ['ignore', fd, fd] })
  closeSync(fd)
  agents.push({ what, child, log })
  return child
}

async function stopChild(child: ChildProcess, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise<void>((r) => child.once('exit', () => r()))
  child.kill('SIGTERM')
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs)
  await exited
  clearTimeout(timer)
}

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

const wgetFromClient = (url: string): Promise<string> => k('exec', 'client', '--', 'wget', '-q', '-O', '-', url)

/** Addresses of a Service's EndpointSlice endpoints, split by their ready condition. */
async function sliceEndpoints(service: string): Promise<{ ready: string[]; notReady: string[] }> {
  const list = JSON.parse(await k('get', 'endpointslices', '-l', `kubernetes.io/service-name=${service}`, '-o', 'json')) as { items: EndpointSlice[] }
  const out = { ready: [] as string[], notReady: [] as string[] }
  for (const s of list.items) for (const e of s.endpoints ?? []) (e.conditions?.ready === false ? out.notReady : out.ready).push(...e.addresses)
  return out
}

function podEnv(name: string): Promise<Map<string, string>> {
  return k('exec', name, '--', 'env').then((t) => new Map(t.split('\n').filter((l) => l.includes('=')).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)] as [string, string])))
}

beforeAll(async () => {
  mkdirSync(hostDir, { recursive: true })
  mkdirSync(pvDir, { recursive: true })
  bridge = await createTestBridge(`k4br${tag}`, `${HOST_IP}/24`)
  cp = await startControlPlane({
    dataDir: join(dir, 'data'),
    bindAddress: HOST_IP,
    securePort: 0,
    adminKubeconfig: kubeconfig,
    extraSANs: [HOST_IP],
    controllerOptions: { clusterCIDR: CLUSTER_CIDR, loadBalancerPool: LB_POOL },
    log: () => {},
  })
  const api = cp.apiserver
  const agentKubeconfig = join(dir, 'agent.kubeconfig')
  writeKubeconfig(agentKubeconfig, { server: api.url, caPem: api.pki.ca.certPem, user: 'kubelab-node', certPem: api.admin.certPem, keyPem: api.admin.keyPem })
  // The kubelet runs as its node, as on a real cluster: held by the Node authorizer and NodeRestriction.
  const nodeKubeconfig = join(dir, 'kubelet.kubeconfig')
  const nodeClient = issueClientCert(api.pki.ca, `system:node:${NODE}`, ['system:nodes'])
  writeKubeconfig(nodeKubeconfig, { server: api.url, caPem: api.pki.ca.certPem, user: `system:node:${NODE}`, certPem: nodeClient.certPem, keyPem: nodeClient.keyPem })
  rt = await startContainerdNode(`k4n${tag}`, { bridge, ip: NODE_IP })
  for (const spec of [busyboxImageSpec(), pauseImageSpec()]) {
    const tar = join(dir, `${spec.name.replace(/[/:]/g, '_')}.tar`)
    await writeImage(spec, tar)
    await loadImage(tar, { socket: rt.socket, snapshotter: rt.snapshotter })
  }
  const serving = issueCert(api.pki.ca, { commonName: `system:node:${NODE}`, organizations: ['system:nodes'], server: true, ipAddresses: [NODE_IP] })
  const nodeDir = join(dir, NODE)
  mkdirSync(nodeDir, { recursive: true })
  writeFileSync(join(nodeDir, 'kubelet.crt'), serving.certPem)
  writeFileSync(join(nodeDir, 'kubelet.key'), serving.keyPem, { mode: 0o600 })
  kubeletArgs = [
    'kubelet',
    '--kubeconfig', nodeKubeconfig,
    '--node-name', NODE,
    '--node-ip', NODE_IP,
    '--container-runtime-endpoint', `unix://${rt.socket}`,
    '--root-dir', join(nodeDir, 'kubelet'),
    '--pod-log-dir', join(nodeDir, 'pods'),
    '--tls-cert-file', join(nodeDir, 'kubelet.crt'),
    '--tls-private-key-file', join(nodeDir, 'kubelet.key'),
    '--cni-conf-dir', rt.cniConfDir,
    '--cluster-cidr', CLUSTER_CIDR,
    '--cgroup-root', cgroupRoot,
    '--port', '10250',
    // A role label is the administrator's to set (NodeRestriction): these a kubelet may.
    '--node-labels', 'node.kubernetes.io/pool=k4,kubelab.dev/pool=k4',
  ]
  startAgent('kubelet', kubeletArgs)
  startAgent('proxy', ['proxy', '--kubeconfig', agentKubeconfig, '--node-name', NODE, '--cluster-cidr', CLUSTER_CIDR])
  // What an L2 announcer would do for a real LAN: the pool is reached through the node.
  spawnSync('ip', ['route', 'del', LB_POOL])
  const r = spawnSync('ip', ['route', 'add', LB_POOL, 'via', NODE_IP], { encoding: 'utf8' })
  if (r.status !== 0) throw new Error(`ip route add ${LB_POOL} via ${NODE_IP}: ${r.stderr}`)
  lbRoute = true
  await until('the node Ready with a podCIDR', async () => {
    const n = JSON.parse(await k('get', 'node', NODE, '-o', 'json')) as Node
    return !!n.spec?.podCIDR && !!n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')
  }, 90_000)
  const backend = (name: string): string => `apiVersion: v1
kind: Pod
metadata: {name: ${name}, labels: {app: aff}}
spec:
  nodeName: ${NODE}
  terminationGracePeriodSeconds: 1
  containers:
  - name: web
    image: ${BUSYBOX_IMAGE}
    command: [sh, -c, 'mkdir -p /www && echo "$(hostname)" > /www/index.html && exec httpd -f -p 80 -h /www']
    ports: [{containerPort: 80}]
    readinessProbe: {tcpSocket: {port: 80}, periodSeconds: 1}
---
`
  await apply(`${backend('aff-1')}${backend('aff-2')}apiVersion: v1
kind: Pod
metadata: {name: client}
spec:
  nodeName: ${NODE}
  terminationGracePeriodSeconds: 1
  containers:
  - {name: c, image: ${BUSYBOX_IMAGE}, command: [sh, -c, 'trap "exit 0" TERM; while :; do sleep 1; done']}
---
apiVersion: v1
kind: Service
metadata: {name: aff}
spec:
  selector: {app: aff}
  sessionAffinity: ClientIP
  ports: [{name: http, port: 80, targetPort: 80}]
---
apiVersion: v1
kind: Service
metadata: {name: lb}
spec:
  type: LoadBalancer
  selector: {app: aff}
  ports: [{port: 8080, targetPort: 80}]
`)
  for (const p of ['aff-1', 'aff-2', 'client']) await until(`pod ${p} Running and Ready`, async () => ready(await getPod(p)), 120_000)
}, 240_000)

afterAll(async () => {
  for (const s of streams) s.kill('SIGKILL')
  if (cp && agents.some((a) => a.what === 'kubelet' && a.child.exitCode === null)) {
    await kubectl(['delete', 'pods', '--all', '--wait=true', '--timeout=60s'], { timeoutMs: 70_000 })
  }
  for (const a of [...agents].reverse()) await stopChild(a.child, 10_000)
  await rt?.stop()
  removeCgroupTree(cgroupRoot)
  if (lbRoute) spawnSync('ip', ['route', 'del', LB_POOL])
  await cp?.close()
  await bridge?.remove()
  rmSync(dir, { recursive: true, force: true })
}, 150_000)

// generous per-test bounds: eight other engineers' tests share these two cores
describe('kubelet and proxy behaviour through the real kubectl', { timeout: 180_000 }, () => {
  it('lists a pod in the EndpointSlice as ready only while its readiness probe passes', async () => {
    await apply(`apiVersion: v1
kind: Pod
metadata: {name: rd, labels: {app: rd}}
spec:
  nodeName: ${NODE}
  terminationGracePeriodSeconds: 1
  containers:
  - name: web
    image: ${BUSYBOX_IMAGE}
    command: [sh, -c, 'mkdir -p /www && echo hi > /www/index.html && exec httpd -f -p 80 -h /www']
    readinessProbe: {httpGet: {path: /ready.html, port: 80}, periodSeconds: 1, failureThreshold: 1}
---
apiVersion: v1
kind: Service
metadata: {name: rd}
spec:
  selector: {app: rd}
  ports: [{port: 80}]
`)
    const p = await until('rd Running with an IP', async () => {
      const x = await getPod('rd')
      return x?.status?.phase === 'Running' && x.status.podIP ? x : undefined
    })
    const ip = p.status!.podIP!
    // the probe keeps failing: the slice may list the pod, but never as ready
    await until('rd listed not-ready', async () => (await sliceEndpoints('rd')).notReady.includes(ip))
    expect((await sliceEndpoints('rd')).ready).toEqual([])
    expect(await k('get', 'endpoints', 'rd', '-o', 'jsonpath={.subsets[*].addresses[*].ip}')).toBe('')
    await k('exec', 'rd', '--', 'sh', '-c', 'echo ok > /www/ready.html')
    await until('rd ready in the slice', async () => (await sliceEndpoints('rd')).ready.includes(ip))
    expect(await k('get', 'endpoints', 'rd', '-o', 'jsonpath={.subsets[*].addresses[*].ip}')).toBe(ip)
    await k('exec', 'rd', '--', 'rm', '/www/ready.html')
    await until('rd not ready again', async () => {
      const s = await sliceEndpoints('rd')
      return !s.ready.includes(ip)
    })
    const pod = await getPod('rd')
    expect(pod?.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('False')
  })

  it('gives a pod the Service environment variables, and only KUBERNETES_* without service links', async () => {
    await apply(`apiVersion: v1
kind: Pod
metadata: {name: envp}
spec:
  nodeName: ${NODE}
  terminationGracePeriodSeconds: 1
  containers:
  - name: c
    image: ${BUSYBOX_IMAGE}
    command: [sh, -c, 'trap "exit 0" TERM; while :; do sleep 1; done']
    env: [{name: AFF_URL, value: 'http://$(AFF_SERVICE_HOST):$(AFF_SERVICE_PORT_HTTP)/'}, {name: AFF_SERVICE_PORT, value: mine}]
---
apiVersion: v1
kind: Pod
metadata: {name: envoff}
spec:
  nodeName: ${NODE}
  enableServiceLinks: false
  terminationGracePeriodSeconds: 1
  containers:
  - {name: c, image: ${BUSYBOX_IMAGE}, command: [sh, -c, 'trap "exit 0" TERM; while :; do sleep 1; done']}
`)
    for (const p of ['envp', 'envoff']) await until(`${p} Running`, async () => ready(await getPod(p)))
    const affIP = await k('get', 'svc', 'aff', '-o', 'jsonpath={.spec.clusterIP}')
    const lbIP = await k('get', 'svc', 'lb', '-o', 'jsonpath={.spec.clusterIP}')
    const kubeIP = await k('get', 'svc', 'kubernetes', '-n', 'default', '-o', 'jsonpath={.spec.clusterIP}')
    const env = await podEnv('envp')
    expect(Object.fromEntries([...env].filter(([key]) => key.startsWith('AFF_')))).toEqual({
      AFF_SERVICE_HOST: affIP,
      // the pod's own env wins over a Service variable of the same name
      AFF_SERVICE_PORT: 'mine',
      AFF_SERVICE_PORT_HTTP: '80',
      AFF_PORT: `tcp://${affIP}:80`,
      AFF_PORT_80_TCP: `tcp://${affIP}:80`,
      AFF_PORT_80_TCP_PROTO: 'tcp',
      AFF_PORT_80_TCP_PORT: '80',
      AFF_PORT_80_TCP_ADDR: affIP,
      AFF_URL: `http://${affIP}:80/`,
    })
    expect(env.get('LB_SERVICE_HOST')).toBe(lbIP)
    expect(env.get('LB_PORT_8080_TCP')).toBe(`tcp://${lbIP}:8080`)
    expect(env.get('KUBERNETES_SERVICE_HOST')).toBe(kubeIP)
    expect(env.get('KUBERNETES_SERVICE_PORT')).toBe('443')
    expect(env.get('KUBERNETES_SERVICE_PORT_HTTPS')).toBe('443')
    expect(env.get('KUBERNETES_PORT_443_TCP')).toBe(`tcp://${kubeIP}:443`)
    const off = await podEnv('envoff')
    expect([...off.keys()].filter((key) => key.startsWith('AFF_') || key.startsWith('LB_') || key.startsWith('RD_'))).toEqual([])
    expect(off.get('KUBERNETES_SERVICE_HOST')).toBe(kubeIP)
    expect(off.get('KUBERNETES_PORT')).toBe(`tcp://${kubeIP}:443`)
  })

  it('keeps one backend for a client with sessionAffinity ClientIP', async () => {
    await until('both aff backends ready in the slice', async () => (await sliceEndpoints('aff')).ready.length === 2)
    const ip = await k('get', 'svc', 'aff', '-o', 'jsonpath={.spec.clusterIP}')
    const first = (await until('the aff Service to answer', () => wgetFromClient(`http://${ip}/`), 30_000)).trim()
    expect(['aff-1', 'aff-2']).toContain(first)
    // without affinity, 8 more requests over two backends all land on one with p = 1/256
    for (let i = 0; i < 8; i++) expect((await wgetFromClient(`http://${ip}/`)).trim()).toBe(first)
  })

  it('gives a LoadBalancer Service an address from the pool that answers', async () => {
    const lbIP = await until('an ingress address for lb', async () => (await k('get', 'svc', 'lb', '-o', 'jsonpath={.status.loadBalancer.ingress[0].ip}')).trim())
    expect(lbIP).toMatch(/^10\.231\.201\.(24[1-9]|25[0-4])$/)
    expect(await k('get', 'svc', 'lb')).toContain(lbIP)
    // from outside the node (the host, routed to the node) and from a pod
    expect(['aff-1', 'aff-2']).toContain((await until('the LB address to answer from the host', () => httpBody(`http://${lbIP}:8080/`), 30_000)).trim())
    expect(['aff-1', 'aff-2']).toContain((await until('the LB address to answer from a pod', () => wgetFromClient(`http://${lbIP}:8080/`), 30_000)).trim())
  })

  it('streams a running container output with kubectl attach', async () => {
    await apply(`apiVersion: v1
kind: Pod
metadata: {name: att-out}
spec:
  nodeName: ${NODE}
  terminationGracePeriodSeconds: 1
  containers:
  - {name: t, image: ${BUSYBOX_IMAGE}, command: [sh, -c, 'trap "exit 0" TERM; i=0; while :; do echo "tock $i"; i=$((i+1)); sleep 0.3; done']}
`)
    await until('att-out Running', async () => ready(await getPod('att-out')))
    const before = await k('logs', 'att-out')
    const last = Math.max(0, ...[...before.matchAll(/tock (\d+)/g)].map((m) => Number(m[1])))
    const child = spawn(KUBECTL, ['--kubeconfig', kubeconfig, '--cache-dir', cacheDir, 'attach', 'att-out'], { env: kubectlEnv })
    streams.push(child)
    let out = ''
    let err = ''
    child.stdout.on('data', (d: Buffer) => (out += d))
    child.stderr.on('data', (d: Buffer) => (err += d))
    await until('attach to deliver new output', async () => {
      if (child.exitCode !== null) throw new Error(`kubectl attach exited ${child.exitCode}: ${err}`)
      return [...out.matchAll(/tock (\d+)/g)].some((m) => Number(m[1]) > last + 2)
    }, 30_000)
    // attach shows what is written from now on, not the log from the start
    expect(out).not.toContain('tock 0\n')
    child.kill('SIGTERM')
  })

  it('passes stdin to kubectl attach -i and ends the container input with it (stdinOnce)', async () => {
    await apply(`apiVersion: v1
kind: Pod
metadata: {name: att-in}
spec:
  nodeName: ${NODE}
  restartPolicy: Never
  terminationGracePeriodSeconds: 1
  containers:
  - name: c
    image: ${BUSYBOX_IMAGE}
    stdin: true
    stdinOnce: true
    command: [sh, -c, 'while read l; do echo "got $l"; done; echo "input closed"']
`)
    await until('att-in Running', async () => ready(await getPod('att-in')))
    const r = await kubectl(['attach', '-i', 'att-in'], { input: 'one\ntwo\n', timeoutMs: 40_000 })
    expect(r.stdout).toContain('got one\ngot two\n')
    expect(r.stdout).toContain('input closed')
    const p = await until('att-in Succeeded', async () => {
      const x = await getPod('att-in')
      return x?.status?.phase === 'Succeeded' ? x : undefined
    })
    expect(p.status?.containerStatuses?.[0]?.state?.terminated?.exitCode).toBe(0)
  })

  it('holds off the liveness probe until the startup probe succeeds', async () => {
    await apply(`apiVersion: v1
kind: Pod
metadata: {name: startup}
spec:
  nodeName: ${NODE}
  terminationGracePeriodSeconds: 1
  containers:
  - name: c
    image: ${BUSYBOX_IMAGE}
    command: [sh, -c, 'sleep 10; touch /tmp/started; trap "exit 0" TERM; while :; do sleep 1; done']
    startupProbe: {exec: {command: [cat, /tmp/started]}, periodSeconds: 1, failureThreshold: 60}
    livenessProbe: {exec: {command: [cat, /tmp/started]}, periodSeconds: 1, failureThreshold: 1}
`)
    const early = await until('startup running', async () => {
      const x = await getPod('startup')
      return x?.status?.containerStatuses?.[0]?.state?.running ? x : undefined
    })
    const s0 = early.status!.containerStatuses![0]!
    // not started (nor ready) while the startup probe has not passed
    expect(s0.started).toBe(false)
    expect(s0.ready).toBe(false)
    const done = await until('startup started and ready', async () => {
      const x = await getPod('startup')
      return x?.status?.containerStatuses?.[0]?.started && ready(x) ? x : undefined
    }, 90_000)
    // a liveness probe running from the start would have failed after 1 s and restarted it
    expect(done.status?.containerStatuses?.[0]?.restartCount).toBe(0)
    const msgs = await k('get', 'events', '--field-selector', 'involvedObject.name=startup', '-o', 'jsonpath={.items[*].message}')
    expect(msgs).toContain('Startup probe failed')
    expect(msgs).not.toContain('Liveness probe failed')
  })

  it('runs preStop before TERM, then KILLs after the grace period; hostPath is shared with the node', async () => {
    writeFileSync(join(hostDir, 'from-node'), 'node says hi\n')
    await apply(`apiVersion: v1
kind: Pod
metadata: {name: stopper}
spec:
  nodeName: ${NODE}
  terminationGracePeriodSeconds: 4
  volumes: [{name: out, hostPath: {path: ${hostDir}, type: Directory}}]
  containers:
  - name: c
    image: ${BUSYBOX_IMAGE}
    volumeMounts: [{name: out, mountPath: /out}]
    # ignores TERM (only notes it), so only KILL can end it
    command: [sh, -c, 'cat /out/from-node > /out/seen; echo start >> /out/log; trap "t=1; echo TERM >> /out/log" TERM; while :; do sleep 0.5; [ -n "$t" ] && echo after-term >> /out/log; done']
    lifecycle: {preStop: {exec: {command: [sh, -c, 'echo prestop >> /out/log']}}}
`)
    await until('stopper Running', async () => ready(await getPod('stopper')))
    await until('stopper to write its start line', async () => existsSync(join(hostDir, 'log')))
    expect(readFileSync(join(hostDir, 'seen'), 'utf8')).toBe('node says hi\n')
    const r = await kubectl(['delete', 'pod', 'stopper', '--wait=true', '--timeout=60s'], { timeoutMs: 70_000 })
    expect(r.code).toBe(0)
    expect(await getPod('stopper')).toBeUndefined()
    const lines = readFileSync(join(hostDir, 'log'), 'utf8').trim().split('\n')
    expect(lines.slice(0, 3)).toEqual(['start', 'prestop', 'TERM'])
    // it outlived TERM for a while (the grace period) and then was killed
    expect(lines.filter((l) => l === 'after-term').length).toBeGreaterThanOrEqual(1)
    const written = lines.length
    await new Promise((r2) => setTimeout(r2, 1500))
    expect(readFileSync(join(hostDir, 'log'), 'utf8').trim().split('\n').length).toBe(written)
  })

  it("as its node, reads the Secret and ConfigMap its pod uses (Node authorizer), and not another's", async () => {
    await apply(`apiVersion: v1
kind: Secret
metadata: {name: k4-secret}
stringData: {password: s3cret}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: k4-config}
data: {MODE: node-authorized}
---
apiVersion: v1
kind: Pod
metadata: {name: refpod}
spec:
  nodeName: ${NODE}
  terminationGracePeriodSeconds: 1
  volumes: [{name: s, secret: {secretName: k4-secret}}]
  containers:
  - name: c
    image: ${BUSYBOX_IMAGE}
    envFrom: [{configMapRef: {name: k4-config}}]
    volumeMounts: [{name: s, mountPath: /secret}]
    command: [sh, -c, 'trap "exit 0" TERM; while :; do sleep 1; done']
`)
    await until('refpod Running', async () => ready(await getPod('refpod')), 60_000)
    expect(await k('exec', 'refpod', '--', 'cat', '/secret/password')).toBe('s3cret')
    expect((await k('exec', 'refpod', '--', 'sh', '-c', 'echo $MODE')).trim()).toBe('node-authorized')
    const nodeKubeconfig = join(dir, 'kubelet.kubeconfig')
    await k('create', 'secret', 'generic', 'k4-other', '--from-literal=x=y')
    const other = await kubectl(['get', 'secret', 'k4-other', '--kubeconfig', nodeKubeconfig])
    expect(other.stderr).toContain(`no relationship found between node '${NODE}' and this object`)
  })

  it('mounts a pod-bound ServiceAccount token, the cluster CA and the namespace; the token authenticates as the pod', async () => {
    await apply(`apiVersion: v1
kind: Pod
metadata: {name: sapod}
spec:
  nodeName: ${NODE}
  terminationGracePeriodSeconds: 1
  containers:
  - {name: c, image: ${BUSYBOX_IMAGE}, command: [sh, -c, 'trap "exit 0" TERM; while :; do sleep 1; done']}
`)
    await until('sapod Running', async () => ready(await getPod('sapod')), 60_000)
    const pod = (await getPod('sapod'))!
    const dirIn = '/var/run/secrets/kubernetes.io/serviceaccount'
    expect(await k('exec', 'sapod', '--', 'cat', `${dirIn}/ca.crt`)).toBe(cp!.apiserver.pki.ca.certPem)
    expect(await k('exec', 'sapod', '--', 'cat', `${dirIn}/namespace`)).toBe('default')
    const token = await k('exec', 'sapod', '--', 'cat', `${dirIn}/token`)
    const claims = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString())
    expect(claims['kubernetes.io']).toMatchObject({ namespace: 'default', serviceaccount: { name: 'default' }, pod: { name: 'sapod', uid: pod.metadata?.uid } })
    expect(claims.exp - claims.iat).toBe(3607)
    // The mounted token authenticates as the pod's ServiceAccount, bound to the pod. (Checked
    // from here: busybox wget's TLS cannot complete a handshake with Node's TLS server.)
    const review = await new Promise<string>((ok, fail) => {
      const req = httpsRequest(new URL('/apis/authentication.k8s.io/v1/selfsubjectreviews', cp!.apiserver.url), { method: 'POST', ca: cp!.apiserver.pki.ca.certPem, headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' } }, (res) => {
        let body = ''
        res.on('data', (d: Buffer) => (body += d))
        res.on('end', () => ok(body))
      })
      req.on('error', fail)
      req.end(JSON.stringify({ apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' }))
    })
    expect(JSON.parse(review).status.userInfo).toMatchObject({ username: 'system:serviceaccount:default:default', extra: { 'authentication.kubernetes.io/pod-name': ['sapod'] } })
  })

  it('mounts a claim bound to a local PersistentVolume', async () => {
    writeFileSync(join(pvDir, 'data.txt'), 'persisted\n')
    await apply(`apiVersion: v1
kind: PersistentVolume
metadata: {name: k4-local}
spec:
  capacity: {storage: 1Gi}
  accessModes: [ReadWriteOnce]
  persistentVolumeReclaimPolicy: Retain
  storageClassName: k4-manual
  local: {path: ${pvDir}}
  nodeAffinity:
    required:
      nodeSelectorTerms: [{matchExpressions: [{key: kubernetes.io/hostname, operator: In, values: [${NODE}]}]}]
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: k4-claim}
spec:
  accessModes: [ReadWriteOnce]
  storageClassName: k4-manual
  resources: {requests: {storage: 500Mi}}
---
apiVersion: v1
kind: Pod
metadata: {name: pvpod}
spec:
  nodeName: ${NODE}
  terminationGracePeriodSeconds: 1
  volumes: [{name: data, persistentVolumeClaim: {claimName: k4-claim}}]
  containers:
  - name: c
    image: ${BUSYBOX_IMAGE}
    volumeMounts: [{name: data, mountPath: /data}]
    command: [sh, -c, 'echo written-by-pod > /data/out.txt; trap "exit 0" TERM; while :; do sleep 1; done']
`)
    await until('the claim Bound', async () => (await k('get', 'pvc', 'k4-claim', '-o', 'jsonpath={.status.phase}')) === 'Bound')
    await until('pvpod Running', async () => ready(await getPod('pvpod')), 60_000)
    expect(await k('exec', 'pvpod', '--', 'cat', '/data/data.txt')).toBe('persisted\n')
    await until('the pod write to reach the node disk', async () => existsSync(join(pvDir, 'out.txt')))
    expect(readFileSync(join(pvDir, 'out.txt'), 'utf8')).toBe('written-by-pod\n')
  })

  it('reports ErrImagePull then ImagePullBackOff for an image it must pull and cannot, and runs a loaded image with IfNotPresent', async () => {
    await apply(`apiVersion: v1
kind: Pod
metadata: {name: pull-always}
spec:
  nodeName: ${NODE}
  terminationGracePeriodSeconds: 1
  containers:
  - {name: c, image: kubelab.local/not-there:1, imagePullPolicy: Always, command: [sleep, '3600']}
---
apiVersion: v1
kind: Pod
metadata: {name: ifnp}
spec:
  nodeName: ${NODE}
  terminationGracePeriodSeconds: 1
  containers:
  - {name: c, image: ${BUSYBOX_IMAGE}, imagePullPolicy: IfNotPresent, command: [sh, -c, 'trap "exit 0" TERM; while :; do sleep 1; done']}
`)
    const seen = new Set<string>()
    await until('pull-always to show ErrImagePull and ImagePullBackOff', async () => {
      const line = (await k('get', 'pod', 'pull-always', '--no-headers')).trim()
      const status = line.split(/\s+/)[2] ?? ''
      seen.add(status)
      return seen.has('ImagePullBackOff') && seen.has('ErrImagePull')
    }, 150_000)
    const p = await getPod('pull-always')
    expect(p?.status?.phase).toBe('Pending')
    expect(p?.status?.containerStatuses?.[0]?.state?.waiting?.message ?? '').toMatch(/kubelab\.local\/not-there:1/)
    const reasons = await k('get', 'events', '--field-selector', 'involvedObject.name=pull-always', '-o', 'jsonpath={.items[*].reason}')
    expect(reasons).toContain('Pulling')
    expect(reasons).toContain('Failed')
    await until('ifnp Running', async () => ready(await getPod('ifnp')))
    const msgs = await k('get', 'events', '--field-selector', 'involvedObject.name=ifnp', '-o', 'jsonpath={.items[*].message}')
    expect(msgs).toContain(`Container image "${BUSYBOX_IMAGE}" already present on machine`)
  })

  it('answers kubectl top nodes and top pods from the real kubelet', async () => {
    const nodes = await until('kubectl top nodes', async () => {
      const r = await kubectl(['top', 'nodes', '--no-headers'])
      return r.code === 0 && r.stdout.includes(NODE) ? r.stdout : undefined
    }, 60_000)
    expect(nodes).toMatch(new RegExp(`^${NODE}\\s+\\d+m\\s+\\d+%\\s+\\d+Mi\\s+\\d+%`, 'm'))
    const pods = await until('kubectl top pods', async () => {
      const r = await kubectl(['top', 'pods', '--no-headers'])
      return r.code === 0 && r.stdout.includes('client') ? r.stdout : undefined
    }, 60_000)
    expect(pods).toMatch(/^client\s+\d+m\s+\d+Mi/m)
    const containers = await k('top', 'pod', 'aff-1', '--containers', '--no-headers')
    expect(containers).toMatch(/^aff-1\s+web\s+\d+m\s+\d+Mi/m)
  })

  it('registers --node-labels and puts them back when the kubelet restarts', async () => {
    const labels = async (): Promise<Record<string, string>> => (JSON.parse(await k('get', 'node', NODE, '-o', 'json')) as Node).metadata?.labels ?? {}
    expect(await labels()).toMatchObject({ 'node.kubernetes.io/pool': 'k4', 'kubelab.dev/pool': 'k4', 'kubernetes.io/hostname': NODE })
    await k('label', 'node', NODE, 'node.kubernetes.io/pool-', 'kubelab.dev/pool=changed', '--overwrite')
    expect(await labels()).not.toHaveProperty(['node.kubernetes.io/pool'])
    const old = agents.find((a) => a.what === 'kubelet')!
    old.what = 'kubelet (old)'
    await stopChild(old.child, 10_000)
    startAgent('kubelet', kubeletArgs)
    await until('the labels back', async () => {
      const l = await labels()
      return l['node.kubernetes.io/pool'] === 'k4' && l['kubelab.dev/pool'] === 'k4'
    }, 60_000)
    // pods kept running across the restart and are still served
    await until('client still Ready', async () => ready(await getPod('client')))
    expect((await k('exec', 'client', '--', 'echo', 'still-here')).trim()).toBe('still-here')
  })
})
