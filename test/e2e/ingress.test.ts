// Ingress end to end through the REAL kubectl: an in-process control plane on the host and two
// nodes (network namespaces with their own containerd) running OUR kubelet and ingress
// controller (`kubelab-node kubelet` / `ingress`). Two Deployments behind two Services and one
// Ingress (paths /a and /b, and a host rule): HTTP requests from the host to either node's
// address on port 80 reach the right pods, edits to the Ingress take effect, status lists both
// node addresses, and a Service without ready endpoints answers 503. Everything made here
// (processes, namespaces, veths, mounts, cgroups, temp dirs) is removed in afterAll.
import { request } from 'node:http'
import type { Ingress } from 'kubernetes-types/networking/v1'
import { beforeAll, describe, expect, it } from 'vitest'
import { BUSYBOX_IMAGE } from '../../provisioning/images'
import { useNodeCluster } from '../helpers/node-cluster'

// This test's own names and subnet (parallel e2e tests use others).
const subnet = '10.231.203'
const HOST_IP = `${subnet}.1`
const NODES = [
  { name: 'node-a', short: 'in7a', ip: `${subnet}.2` },
  { name: 'node-b', short: 'in7b', ip: `${subnet}.3` },
] as const

const { k, apply, until, nodesReady } = useNodeCluster({
  tag: 'in7',
  bridge: `in7br${process.pid % 1000}`,
  hostIp: HOST_IP,
  nodes: NODES,
  // As node-plan runs it: the node address, ports 80 and 443.
  agents: (n, c) => ({
    [`ingress-${n.name}`]: ['ingress', '--kubeconfig', c.agentKubeconfig, '--node-name', n.name, '--address', n.ip, '--http-port', '80', '--https-port', '443'],
  }),
})

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
    await until(
      `${host ?? 'any host'}${path} on ${n.name} to answer ${status} ${body}`,
      async () => {
        const r = await http(n.ip, path, host)
        return r.status === status && body.test(r.body) ? r : (JSON.stringify(r) as unknown as false)
      },
      60_000,
    )
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
  await nodesReady(90_000)
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
    const addresses = await until(
      'the Ingress status',
      async () => {
        const ing = JSON.parse(await k('get', 'ingress', 'web', '-o', 'json')) as Ingress
        const ips = (ing.status?.loadBalancer?.ingress ?? []).map((i) => i.ip)
        return ips.length === 2 && ips
      },
      60_000,
    )
    expect(addresses).toEqual(NODES.map((n) => n.ip))
    expect(await k('get', 'ingress', 'web')).toMatch(
      new RegExp(`web\\s+kubelab\\s+beta\\.test\\s+${NODES[0].ip.replace(/\./g, '\\.')},${NODES[1].ip.replace(/\./g, '\\.')}\\s+80`),
    )
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
