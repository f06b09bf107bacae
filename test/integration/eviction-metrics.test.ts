// The metrics API (from a fake kubelet summary endpoint), the pods/eviction subresource with a
// PodDisruptionBudget kept by the disruption controller, and the HPA scaling on that usage.
// The handlers are served by a small loopback front in this test, because routing them
// inside the API server is wired by server.ts (see the package report).
import { createServer as createHttpServer, type Server } from 'node:http'
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https'
import type { TLSSocket } from 'node:tls'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { handleEviction } from '../../src-cluster/apiserver/handlers/eviction'
import { handleMetrics, isMetricsPath, type KubeletResourceSummary } from '../../src-cluster/apiserver/metrics'
import { issueCert } from '../../src-cluster/kit/pki'
import { parseRequest } from '../../src-cluster/apiserver/request'
import { sendError } from '../../src-cluster/apiserver/respond'
import { createClient, resourceRef, type Client } from '../../src-cluster/client'
import { HPAController } from '../../src-cluster/controllers/autoscaling'
import { DisruptionController } from '../../src-cluster/controllers/disruption'
import { createControllerContext, type ControllerContext } from '../../src-cluster/controllers/framework'
import { FakeClock } from '../../src-cluster/util/clock'
import { startTestApiServer, type TestApiServer } from '../helpers/apiserver'
import { until as poll } from '../helpers/wait'

const NODES = resourceRef('v1', 'nodes')
const PODS = resourceRef('v1', 'pods')
const PDBS = resourceRef('policy/v1', 'poddisruptionbudgets')
const DEPLOYS = resourceRef('apps/v1', 'deployments')
const HPAS = resourceRef('autoscaling/v2', 'horizontalpodautoscalers')
const EVENTS = resourceRef('v1', 'events')

let t: TestApiServer
let client: Client
let kubelet: HttpsServer
let front: Server
let frontUrl = ''
let ctx: ControllerContext
const clientNames: string[] = []
const clock = new FakeClock(Date.UTC(2026, 0, 1))
const disruption = new DisruptionController()
const hpa = new HPAController()
/** What the fake kubelet reports, per pod name: millicores. */
const usage = new Map<string, number>()

const until = <T>(what: string, fn: () => Promise<T>, ms = 20_000) => poll(what, fn, { timeoutMs: ms, intervalMs: 40 })

async function call(method: string, path: string, body?: unknown): Promise<{ code: number; json: Record<string, unknown> }> {
  const r = await fetch(frontUrl + path, {
    method,
    body: body === undefined ? undefined : JSON.stringify(body),
    headers: { 'Content-Type': 'application/json' },
  })
  return { code: r.status, json: (await r.json()) as Record<string, unknown> }
}

async function runningPod(name: string, labels: Record<string, string>, cpuRequest: string, milli: number): Promise<void> {
  await client.create(PODS, 'default', {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels },
    spec: { nodeName: 'n1', containers: [{ name: 'app', image: 'busybox', resources: { requests: { cpu: cpuRequest, memory: '64Mi' } } }] },
  })
  await client.patch(PODS, 'default', name, { status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] } }, 'merge', {
    subresource: 'status',
  })
  usage.set(name, milli)
}

beforeAll(async () => {
  t = await startTestApiServer({ now: () => clock.now() })
  client = createClient({ server: t.server.url, caPem: t.server.pki.ca.certPem, certPem: t.server.admin.certPem, keyPem: t.server.admin.keyPem })
  // A fake kubelet: HTTPS with a cluster-CA certificate, requiring a client certificate.
  const cert = issueCert(t.server.pki.ca, { commonName: 'n1', server: true, ipAddresses: ['127.0.0.1'] })
  kubelet = createHttpsServer(
    { cert: cert.certPem, key: cert.keyPem, ca: t.server.pki.ca.certPem, requestCert: true, rejectUnauthorized: true },
    (req, res) => {
      const peer = (req.socket as TLSSocket).getPeerCertificate()
      clientNames.push(String(peer.subject?.CN))
      const url = new URL(req.url ?? '/', 'https://x')
      if (url.pathname !== '/metrics/resource/summary' || url.searchParams.get('node') !== 'n1') {
        res.writeHead(404).end()
        return
      }
      const body: KubeletResourceSummary = {
        node: { cpuNanoCores: 1_500_000_000, memoryWorkingSetBytes: 2 * 1024 ** 3, timestamp: clock.now().toISOString() },
        pods: [...usage].map(([name, m]) => ({
          namespace: 'default',
          name,
          containers: [{ name: 'app', cpuNanoCores: m * 1e6, memoryWorkingSetBytes: 50 * 1024 * 1024 }],
        })),
      }
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(body))
    },
  )
  await new Promise<void>((r) => kubelet.listen(0, '127.0.0.1', r))
  const port = (kubelet.address() as { port: number }).port
  await client.create(NODES, undefined, { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1', labels: { role: 'worker' } } })
  await client.patch(
    NODES,
    undefined,
    'n1',
    { status: { addresses: [{ type: 'InternalIP', address: '127.0.0.1' }], daemonEndpoints: { kubeletEndpoint: { Port: port } } } },
    'merge',
    { subresource: 'status' },
  )

  // The loopback front: the eviction and metrics handlers over the API server's context.
  const sctx = t.server.context
  front = createHttpServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x')
    const segs = url.pathname.split('/').filter(Boolean)
    const run = async (): Promise<void> => {
      if (isMetricsPath(segs)) return handleMetrics(sctx, req, res, segs, url.searchParams)
      const info = parseRequest(req.method ?? 'GET', url.pathname, url.searchParams)
      if (info.type === 'resource' && info.subresource === 'eviction') return handleEviction(sctx, info, req, res, url.searchParams)
      res.writeHead(404).end('{}')
    }
    run().catch((e: unknown) => sendError(req, res, e))
  })
  await new Promise<void>((r) => front.listen(0, '127.0.0.1', r))
  frontUrl = `http://127.0.0.1:${(front.address() as { port: number }).port}`

  // The HPA reads metrics through client.request: send metrics paths to the front.
  const hpaClient: Client = Object.create(client) as Client
  ;(hpaClient as { request: Client['request'] }).request = async <T>(
    method: string,
    path: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<T> => (path.startsWith('/apis/metrics.k8s.io/') ? ((await call(method, path)).json as T) : client.request<T>(method, path, body, headers))
  ctx = createControllerContext({ client: hpaClient, clock, log: () => {} })
  await disruption.start(ctx)
  await hpa.start(ctx)
}, 60_000)

afterAll(async () => {
  disruption.stop()
  hpa.stop()
  ctx?.informers.stopAll()
  kubelet?.close()
  front?.close()
  await t?.close()
})

describe('metrics API', () => {
  it('answers NodeMetrics and PodMetrics from the kubelet summary, with selectors', async () => {
    await runningPod('m1', { app: 'm' }, '100m', 250)
    const nodes = await call('GET', '/apis/metrics.k8s.io/v1beta1/nodes')
    expect(nodes.code).toBe(200)
    expect(nodes.json.kind).toBe('NodeMetricsList')
    const items = nodes.json.items as { metadata: { name: string }; usage: { cpu: string; memory: string } }[]
    expect(items).toHaveLength(1)
    expect(items[0]!.usage).toEqual({ cpu: '1500000000n', memory: `${2 * 1024 * 1024}Ki` })
    expect(clientNames).toContain('system:kube-apiserver')
    const none = await call('GET', '/apis/metrics.k8s.io/v1beta1/nodes?labelSelector=role%3Dmaster')
    expect(none.json.items).toEqual([])
    const pods = await call('GET', '/apis/metrics.k8s.io/v1beta1/namespaces/default/pods?labelSelector=app%3Dm')
    const pitems = pods.json.items as { metadata: { name: string }; containers: { name: string; usage: { cpu: string } }[] }[]
    expect(pitems.map((p) => p.metadata.name)).toEqual(['m1'])
    expect(pitems[0]!.containers[0]!.usage.cpu).toBe('250000000n')
    const one = await call('GET', '/apis/metrics.k8s.io/v1beta1/namespaces/default/pods/m1')
    expect(one.json.kind).toBe('PodMetrics')
    const missing = await call('GET', '/apis/metrics.k8s.io/v1beta1/namespaces/default/pods/nope')
    expect(missing.code).toBe(404)
    expect(missing.json.message).toBe('podmetrics.metrics.k8s.io "nope" not found')
    const group = await call('GET', '/apis/metrics.k8s.io/v1beta1')
    expect((group.json.resources as { name: string }[]).map((r) => r.name)).toEqual(['nodes', 'pods'])
  })
})

describe('eviction with a PodDisruptionBudget', () => {
  it('refuses with 429 while the budget allows no disruption, then evicts once a replacement is Ready', async () => {
    await runningPod('web-1', { app: 'web' }, '100m', 10)
    await runningPod('web-2', { app: 'web' }, '100m', 10)
    await client.create(PDBS, 'default', {
      apiVersion: 'policy/v1',
      kind: 'PodDisruptionBudget',
      metadata: { name: 'web' },
      spec: { minAvailable: 2, selector: { matchLabels: { app: 'web' } } },
    })
    const pdb = await until('pdb status', async () => {
      const p = await client.get(PDBS, 'default', 'web')
      const st = p?.status as { currentHealthy?: number; observedGeneration?: number } | undefined
      return st?.currentHealthy === 2 && st.observedGeneration !== undefined && p
    })
    const st = pdb.status as {
      disruptionsAllowed: number
      desiredHealthy: number
      expectedPods: number
      conditions: { type: string; status: string; reason: string }[]
    }
    expect(st.disruptionsAllowed).toBe(0)
    expect(st.desiredHealthy).toBe(2)
    expect(st.expectedPods).toBe(2)
    expect(st.conditions[0]).toMatchObject({ type: 'DisruptionAllowed', status: 'False', reason: 'InsufficientPods' })

    const eviction = { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: 'web-1', namespace: 'default' } }
    const refused = await call('POST', '/api/v1/namespaces/default/pods/web-1/eviction', eviction)
    expect(refused.code).toBe(429)
    expect(refused.json.reason).toBe('TooManyRequests')
    expect(refused.json.message).toBe("Cannot evict pod as it would violate the pod's disruption budget.")
    expect((refused.json.details as { causes: unknown[] }).causes).toEqual([
      { reason: 'DisruptionBudget', message: 'The disruption budget web needs 2 healthy pods and has 2 currently' },
    ])
    expect(await client.get(PODS, 'default', 'web-1')).toBeDefined()

    await runningPod('web-3', { app: 'web' }, '100m', 10)
    await until(
      'a disruption allowed',
      async () => ((await client.get(PDBS, 'default', 'web'))?.status as { disruptionsAllowed?: number }).disruptionsAllowed === 1,
    )
    const ok = await call('POST', '/api/v1/namespaces/default/pods/web-1/eviction', eviction)
    expect(ok.code).toBe(201)
    expect(ok.json.status).toBe('Success')
    const pod = await client.get(PODS, 'default', 'web-1')
    expect(pod === undefined || !!pod.metadata?.deletionTimestamp).toBe(true)
    // The spent disruption: web-1 is recorded until the controller sees it deleted.
    await until(
      'budget back to 0',
      async () => ((await client.get(PDBS, 'default', 'web'))?.status as { disruptionsAllowed?: number }).disruptionsAllowed === 0,
    )
    const again = await call('POST', '/api/v1/namespaces/default/pods/web-2/eviction', { ...eviction, metadata: { name: 'web-2' } })
    expect(again.code).toBe(429)
  })
})

describe('horizontal pod autoscaler', () => {
  it('scales a deployment up on high CPU utilization', async () => {
    await client.create(DEPLOYS, 'default', {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'api' },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: 'api' } },
        template: { metadata: { labels: { app: 'api' } }, spec: { containers: [{ name: 'app', image: 'busybox' }] } },
      },
    })
    // 90m used of 100m requested against a 50% target: ratio 1.8 → ceil(1.8 × 2) = 4.
    await runningPod('api-1', { app: 'api' }, '100m', 90)
    await runningPod('api-2', { app: 'api' }, '100m', 90)
    await client.create(HPAS, 'default', {
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      metadata: { name: 'api' },
      spec: {
        scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'api' },
        minReplicas: 1,
        maxReplicas: 10,
        metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } } }],
      },
    })
    await until('scaled to 4', async () => ((await client.get(DEPLOYS, 'default', 'api'))?.spec as { replicas?: number }).replicas === 4)
    const h = await until('hpa status', async () => {
      const x = await client.get(HPAS, 'default', 'api')
      return (x?.status as { desiredReplicas?: number } | undefined)?.desiredReplicas === 4 && x
    })
    const st = h.status as {
      currentMetrics: { resource: { current: { averageUtilization: number } } }[]
      conditions: { type: string; status: string; reason: string }[]
    }
    expect(st.currentMetrics[0]!.resource.current.averageUtilization).toBe(90)
    expect(st.conditions.find((c) => c.type === 'AbleToScale')).toMatchObject({ status: 'True', reason: 'SucceededRescale' })
    expect(st.conditions.find((c) => c.type === 'ScalingActive')).toMatchObject({ status: 'True', reason: 'ValidMetricFound' })
    await until('SuccessfulRescale event', async () => {
      const evs = (await client.list(EVENTS, { namespace: 'default' })).items as { reason?: string; message?: string }[]
      return evs.some(
        (e) => e.reason === 'SuccessfulRescale' && e.message === 'New size: 4; reason: cpu resource utilization (percentage of request) above target',
      )
    })
  })

  it('scales a custom resource through its scale subresource (found by discovery)', async () => {
    await client.request('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: 'workers.example.com' },
      spec: {
        group: 'example.com',
        scope: 'Namespaced',
        names: { plural: 'workers', kind: 'Worker' },
        versions: [
          {
            name: 'v1',
            served: true,
            storage: true,
            subresources: {
              status: {},
              scale: { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas', labelSelectorPath: '.status.selector' },
            },
            schema: {
              openAPIV3Schema: {
                type: 'object',
                properties: {
                  spec: { type: 'object', properties: { replicas: { type: 'integer' } } },
                  status: { type: 'object', properties: { replicas: { type: 'integer' }, selector: { type: 'string' } } },
                },
              },
            },
          },
        ],
      },
    })
    await t.server.crds.idle()
    const WORKERS = { group: 'example.com', version: 'v1', plural: 'workers', namespaced: true, kind: 'Worker' }
    await client.create(WORKERS, 'default', { apiVersion: 'example.com/v1', kind: 'Worker', metadata: { name: 'w' }, spec: { replicas: 2 } })
    await client.patch(WORKERS, 'default', 'w', { status: { replicas: 2, selector: 'app=worker' } }, 'merge', { subresource: 'status' })
    await runningPod('worker-1', { app: 'worker' }, '100m', 90)
    await runningPod('worker-2', { app: 'worker' }, '100m', 90)
    await client.create(HPAS, 'default', {
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      metadata: { name: 'worker' },
      spec: {
        scaleTargetRef: { apiVersion: 'example.com/v1', kind: 'Worker', name: 'w' },
        minReplicas: 1,
        maxReplicas: 10,
        metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } } }],
      },
    })
    await until('worker scaled to 4', async () => ((await client.get(WORKERS, 'default', 'w'))?.spec as { replicas?: number }).replicas === 4)
  })
})
