// Ingress end to end through the REAL kubectl: an in-process control plane on the host and two
// nodes (network namespaces with their own containerd) running OUR kubelet and ingress
// controller (`kubelab-node kubelet` / `ingress`). Two Deployments behind two Services and one
// Ingress (paths /a and /b, and a host rule): HTTP requests from the host to either node's
// address on port 80 reach the right pods, edits to the Ingress take effect, status lists both
// node addresses, and a Service without ready endpoints answers 503. Everything made here
// (processes, namespaces, veths, mounts, cgroups, temp dirs) is removed in afterAll.
import { spawn, type ChildProcess } from 'node:child_process'
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { request } from 'node:http'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import type { Node } from 'kubernetes-types/core/v1'
import type { Ingress } from 'kubernetes-types/networking/v1'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { busyboxImageSpec, loadImage, pauseImageSpec, writeImage, BUSYBOX_IMAGE } from '../../provisioning/images'
import { issueCert } from '../../src-cluster/apiserver/pki'
import { writeKubeconfig } from '../../src-cluster/apiserver/kubeconfig'
import { startControlPlane, type ControlPlane } from '../../src-cluster/cmd/control-plane'
import { KUBECTL, type KubectlResult } from '../helpers/apiserver'
import { createTestBridge, removeCgroupTree, startContainerdNode, type ContainerdNode, type TestBridge } from '../helpers/containerd'

const repo = resolve(__dirname, '../..')
// This test's own names and subnet (parallel e2e tests use others).
const subnet = '10.231.203'
const HOST_IP = `${subnet}.1`
const CLUSTER_CIDR = '10.244.0.0/16'
const NODES = [
  { name: 'node-a', short: 'in7a', ip: `${subnet}.2` },
  { name: 'node-b', short: 'in7b', ip: `${subnet}.3` },
] as const

const dir = mkdtempSync(join(tmpdir(), 'kubelab-ingress-e2e-'))
const kubeconfig = join(dir, 'admin.kubeconfig')
const cacheDir = join(dir, 'kube-cache')
const kubectlEnv = { ...process.env, HOME: dir, KUBECONFIG: kubeconfig } as Record<string, string>
let cp: ControlPlane | undefined
let bridge: TestBridge | undefined
const runtimes = new Map<string, ContainerdNode>()
const agents: { what: string; child: ChildProcess; log: string }[] = []
const cgroupRoot = (node: string): string => `/kubelab-in7-${process.pid}-${node}`

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

const apply = (yaml: string): Promise<string> => kubectl(['apply', '-f', '-'], { input: yaml }).then((r) => (r.code === 0 ? r.stdout : Promise.reject(new Error(`kubectl apply failed: ${r.stderr}`))))

function agentLogs(): string {
  return agents.map((a) => `--- ${a.what}:\n${existsSync(a.log) ? readFileSync(a.log, 'utf8').slice(-3000) : ''}`).join('\n')
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

/** Starts `kubelab-node SUBCOMMAND` inside a node's network namespace, output to a log file. */
function startAgent(netns: string, what: string, args: string[]): void {
  const log = join(dir, `${what}.log`)
  const fd = openSync(log, 'a')
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

/** One HTTP request from the host to a node's ingress (a fresh connection each time). */
function http(ip: string, path: string, host = 'ingress.test'): Promise<{ status: number; body: string }> {
  return new Promise((ok, fail) => {
    const req = request({ host: ip, port: 80, path, headers: { host }, agent: false }, (res) => {
      let body = ''
      res.on('data', (d: Buffer) => (body += d))
      res.on('end', () => ok({ status: res.statusCode ?? 0, body }))
    })
    req.setTimeout(5000, () => req.destroy(new Error(`GET http://${ip}${path} (Host ${host}) timed out`)))
    req.on('error', fail)
    req.end()
  })
}

/** Waits until a request answers with a status (and body pattern), on every node. */
async function expectEverywhere(path: string, status: number, body: RegExp, host?: string): Promise<void> {
  for (const n of NODES) {
    await until(`${host ?? 'any host'}${path} on ${n.name} to answer ${status} ${body}`, async () => {
      const r = await http(n.ip, path, host)
      return r.status === status && body.test(r.body) ? r : (JSON.stringify(r) as unknown as false)
    }, 60_000)
  }
}

const deployment = (name: string, replicas: number): string => `apiVersion: apps/v1
kind: Deployment
metadata: {name: ${name}}
spec:
  replicas: ${replicas}
  selector: {matchLabels: {app: ${name}}}
  template:
    metadata: {labels: {app: ${name}}}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
      - name: web
        image: ${BUSYBOX_IMAGE}
        imagePullPolicy: Never
        command: [sh, -c, 'mkdir -p /var/www/a /var/www/b && for d in /var/www /var/www/a /var/www/b; do echo "${name} $(hostname)" > $d/index.html; done && exec httpd -f -p 80 -h /var/www']
        ports: [{name: http, containerPort: 80}]
        readinessProbe: {tcpSocket: {port: 80}, periodSeconds: 1}
`

const INGRESS = (aTo: string): string => `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web}
spec:
  ingressClassName: kubelab
  rules:
  - http:
      paths:
      - {path: /a, pathType: Prefix, backend: {service: {name: ${aTo}, port: {number: 80}}}}
      - {path: /b, pathType: Prefix, backend: {service: {name: beta, port: {name: http}}}}
  - host: beta.test
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: beta, port: {number: 80}}}}
`

beforeAll(async () => {
  bridge = await createTestBridge(`in7br${process.pid % 1000}`, `${HOST_IP}/24`)
  cp = await startControlPlane({ dataDir: join(dir, 'data'), bindAddress: HOST_IP, securePort: 0, adminKubeconfig: kubeconfig, extraSANs: [HOST_IP], controllerOptions: { clusterCIDR: CLUSTER_CIDR }, log: () => {} })
  const api = cp.apiserver
  // Node agents use the admin identity (this test checks the data path, not RBAC).
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
      // As node-plan runs it: the node address, ports 80 and 443.
      startAgent(rt.netns, `ingress-${n.name}`, ['ingress', '--kubeconfig', agentKubeconfig, '--node-name', n.name, '--address', n.ip, '--http-port', '80', '--https-port', '443'])
    }),
  )
  await until('both nodes Ready with a podCIDR', async () => {
    const list = JSON.parse(await k('get', 'nodes', '-o', 'json')) as { items: Node[] }
    return list.items.length === 2 && list.items.every((n) => n.spec?.podCIDR && n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'))
  }, 90_000)
  await apply(
    [
      deployment('alpha', 2),
      deployment('beta', 1),
      'apiVersion: v1\nkind: Service\nmetadata: {name: alpha}\nspec:\n  selector: {app: alpha}\n  ports: [{port: 80, targetPort: 80}]\n',
      'apiVersion: v1\nkind: Service\nmetadata: {name: beta}\nspec:\n  selector: {app: beta}\n  ports: [{name: http, port: 80, targetPort: http}]\n',
      INGRESS('alpha'),
    ].join('---\n'),
  )
  await k('rollout', 'status', 'deployment/alpha', '--timeout=120s')
  await k('rollout', 'status', 'deployment/beta', '--timeout=120s')
}, 240_000)

afterAll(async () => {
  // Pods go first, so each kubelet stops its containers and releases their CNI addresses.
  if (cp && agents.some((a) => a.what.startsWith('kubelet') && a.child.exitCode === null)) {
    await kubectl(['delete', 'deployments', '--all', '--wait=true', '--timeout=30s'], { timeoutMs: 40_000 })
    await kubectl(['delete', 'pods', '--all', '--wait=true', '--timeout=40s'], { timeoutMs: 50_000 })
  }
  for (const a of [...agents].reverse()) await stopChild(a.child, 10_000)
  for (const rt of runtimes.values()) await rt.stop()
  for (const n of NODES) removeCgroupTree(cgroupRoot(n.name))
  await cp?.close()
  await bridge?.remove()
  rmSync(dir, { recursive: true, force: true })
}, 150_000)

describe('Ingress on real nodes through the real kubectl', () => {
  it('has the default IngressClass kubelab', async () => {
    expect(await k('get', 'ingressclass')).toMatch(/kubelab\s+kubelab\.dev\/ingress/)
  })

  it('routes /a and /b and the host rule to the right pods from either node', async () => {
    await expectEverywhere('/a/', 200, /^alpha alpha-/)
    await expectEverywhere('/b/', 200, /^beta beta-/)
    await expectEverywhere('/', 200, /^beta beta-/, 'beta.test')
    // round-robin: successive requests reach both alpha pods
    const seen = new Set<string>()
    for (let i = 0; i < 6; i++) seen.add((await http(NODES[0].ip, '/a/')).body.trim())
    expect(seen.size).toBe(2)
    // no rule for this path (and no default backend)
    const miss = await http(NODES[1].ip, '/zzz')
    expect(miss.status).toBe(404)
    expect(miss.body).toContain('no ingress rule matches')
  })

  it('shows both node addresses in status', async () => {
    const addresses = await until('the Ingress status', async () => {
      const ing = JSON.parse(await k('get', 'ingress', 'web', '-o', 'json')) as Ingress
      const ips = (ing.status?.loadBalancer?.ingress ?? []).map((i) => i.ip)
      return ips.length === 2 && ips
    }, 60_000)
    expect(addresses).toEqual(NODES.map((n) => n.ip))
    expect(await k('get', 'ingress', 'web')).toMatch(new RegExp(`web\\s+kubelab\\s+beta\\.test\\s+${NODES[0].ip.replace(/\./g, '\\.')},${NODES[1].ip.replace(/\./g, '\\.')}\\s+80`))
  })

  it('applies changes to the Ingress', async () => {
    await apply(INGRESS('beta'))
    await expectEverywhere('/a/', 200, /^beta beta-/)
    await apply(INGRESS('alpha'))
    await expectEverywhere('/a/', 200, /^alpha alpha-/)
  })

  it('answers 503 with the reason when the Service has no ready endpoints', async () => {
    await k('scale', 'deployment/beta', '--replicas=0')
    await expectEverywhere('/b/', 503, /service default\/beta has no ready endpoints \(ingress default\/web\)/)
    // the other path still works
    expect((await http(NODES[0].ip, '/a/')).status).toBe(200)
  })
})
