// Wire details real clients depend on, each shown through a client nobody here wrote: the
// Python client (watch=True, exec with stdin=…, Go-shaped empty statuses, create-from-YAML),
// kubectl (watch-list with the WatchListClient gate, gzip, protected namespaces, decoder
// errors, the proxy subresources) and @kubernetes/client-node; and over raw HTTP what only
// client-go's metadata client asks for (PartialObjectMetadata). One API server for the file,
// with one kubelet backed by the fake streaming runtime (node n1) and one simulated node.
import * as k8s from '@kubernetes/client-node'
import { execFile } from 'node:child_process'
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http'
import { request } from 'node:https'
import { join } from 'node:path'
import { gunzipSync } from 'node:zlib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { issueCert } from '../../src-cluster/kit/pki'
import { createClient, resourceRef, type Client } from '../../src-cluster/client'
import { startKubeletServer, type KubeletServer } from '../../src-cluster/kubelet/server'
import { startTestApiServer, writeManifest, type TestApiServer } from '../helpers/apiserver'
import { startFakeStreamingRuntime, type FakeStreamingRuntime } from '../helpers/fake-streaming-runtime'

const NODES = resourceRef('v1', 'nodes')
const PODS = resourceRef('v1', 'pods')
const SERVICES = resourceRef('v1', 'services')
const SLICES = resourceRef('discovery.k8s.io/v1', 'endpointslices')
const PYTHON = '/usr/bin/python3'

let t: TestApiServer
let client: Client
let fake: FakeStreamingRuntime
let kubelet: KubeletServer
let web: HttpServer
let webPort = 0

function call(
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: string,
): Promise<{ code: number; headers: Record<string, unknown>; raw: Buffer; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      t.server.url + path,
      { method, ca: t.server.pki.ca.certPem, cert: t.server.admin.certPem, key: t.server.admin.keyPem, headers },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (d: Buffer) => chunks.push(d))
        res.on('end', () => {
          const raw = Buffer.concat(chunks)
          resolve({ code: res.statusCode ?? 0, headers: res.headers, raw, text: raw.toString() })
        })
      },
    )
    req.on('error', reject)
    req.end(body)
  })
}

/** Watch events until `stop` says so (or the server ends the stream). */
function watchEvents(
  path: string,
  headers: Record<string, string>,
  stop: (evs: { type: string; object: Record<string, any> }[]) => boolean,
): Promise<{ type: string; object: Record<string, any> }[]> {
  return new Promise((resolve, reject) => {
    const events: { type: string; object: Record<string, any> }[] = []
    const req = request(t.server.url + path, { ca: t.server.pki.ca.certPem, cert: t.server.admin.certPem, key: t.server.admin.keyPem, headers }, (res) => {
      let buf = ''
      res.on('data', (d: Buffer) => {
        buf += d.toString()
        let i: number
        while ((i = buf.indexOf('\n')) >= 0) {
          events.push(JSON.parse(buf.slice(0, i)))
          buf = buf.slice(i + 1)
          if (stop(events)) {
            req.destroy()
            resolve(events)
            return
          }
        }
      })
      res.on('end', () => resolve(events))
    })
    req.on('error', (e) => (events.length ? resolve(events) : reject(e)))
    req.end()
  })
}

function run(cmd: string, args: string[], env: Record<string, string> = {}, timeout = 60_000): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { env: { ...process.env, HOME: t.dir, ...env }, timeout, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      resolve({
        code: err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0,
        stdout: String(stdout),
        stderr: String(stderr),
      })
    })
  })
}

beforeAll(async () => {
  t = await startTestApiServer()
  client = createClient({ server: t.server.url, caPem: t.server.pki.ca.certPem, certPem: t.server.admin.certPem, keyPem: t.server.admin.keyPem })
  fake = await startFakeStreamingRuntime()
  const kcert = issueCert(t.server.pki.ca, { commonName: 'n1', server: true, ipAddresses: ['127.0.0.1'] })
  kubelet = await startKubeletServer({
    port: 0,
    host: '127.0.0.1',
    tls: { certPem: kcert.certPem, keyPem: kcert.keyPem, caPem: t.server.pki.ca.certPem },
    runtime: fake.runtime,
    log: () => {},
    followPollMs: 50,
  })
  web = createHttpServer((req, res) => res.writeHead(200, { 'Content-Type': 'text/plain' }).end(`hello from ${req.url}`))
  webPort = await new Promise<number>((resolve) => web.listen(0, '127.0.0.1', () => resolve((web.address() as { port: number }).port)))

  await client.create(NODES, undefined, { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1' } })
  await client.patch(
    NODES,
    undefined,
    'n1',
    { status: { addresses: [{ type: 'InternalIP', address: '127.0.0.1' }], daemonEndpoints: { kubeletEndpoint: { Port: kubelet.port } } } },
    'merge',
    { subresource: 'status' },
  )
  await client.create(NODES, undefined, { apiVersion: 'v1', kind: 'Node', metadata: { name: 'sim1' } })
  await client.patch(NODES, undefined, 'sim1', { status: { nodeInfo: { containerRuntimeVersion: 'simulated://1.0' } } }, 'merge', { subresource: 'status' })
  const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z')
  await client.create(PODS, 'default', {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p1', labels: { app: 'web' } },
    spec: { nodeName: 'n1', containers: [{ name: 'app', image: 'busybox', ports: [{ name: 'http', containerPort: webPort }] }] },
  })
  await client.patch(
    PODS,
    'default',
    'p1',
    {
      status: {
        phase: 'Running',
        podIP: '127.0.0.1',
        containerStatuses: [
          { name: 'app', ready: true, restartCount: 0, image: 'busybox', imageID: 'sha256:1', started: true, state: { running: { startedAt: now } } },
        ],
      },
    },
    'merge',
    { subresource: 'status' },
  )
  await client.create(PODS, 'default', {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'ps' },
    spec: { nodeName: 'sim1', containers: [{ name: 'app', image: 'busybox' }] },
  })
  fake.containers.set('default/p1/app', { logPath: join(t.dir, 'none.log'), running: true })
  await client.create(SERVICES, 'default', {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'web' },
    spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: webPort }] },
  })
  await client.create(SLICES, 'default', {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: 'web-abc', labels: { 'kubernetes.io/service-name': 'web' } },
    addressType: 'IPv4',
    endpoints: [{ addresses: ['127.0.0.1'], conditions: { ready: true }, nodeName: 'n1' }],
    ports: [{ name: 'http', port: webPort, protocol: 'TCP' }],
  })
})

afterAll(async () => {
  await kubelet?.close()
  await fake?.close()
  web?.closeAllConnections()
  await new Promise<void>((r) => (web ? web.close(() => r()) : r()))
  await t?.close()
})

describe('the Python client (python3-kubernetes)', () => {
  it('lists, creates from YAML, patches, watches (watch=True), execs and gets upstream errors', async () => {
    const manifest = writeManifest(
      t.dir,
      'py.yaml',
      `apiVersion: apps/v1
kind: Deployment
metadata: { name: py-web }
spec:
  selector: { matchLabels: { app: py-web } }
  template:
    metadata: { labels: { app: py-web } }
    spec: { containers: [{ name: web, image: nginx }] }
---
apiVersion: v1
kind: Service
metadata: { name: py-web }
spec:
  selector: { app: py-web }
  ports: [{ port: 80 }]
`,
    )
    const r = await run(PYTHON, [join(__dirname, 'fixtures', 'python-client.py'), t.kubeconfig, manifest])
    expect(r.stderr).toBe('')
    const out = JSON.parse(r.stdout)
    expect(out.namespaces).toEqual(['default', 'kube-node-lease', 'kube-public', 'kube-system'])
    expect(out.serviceLoadBalancer).toEqual({ ingress: null })
    expect(out.deploymentStatus).not.toBeNull()
    expect(out.patched).toEqual({ a: '1', b: '2' })
    expect(out.watch).toContainEqual(['ADDED', 'py-cm'])
    expect(out.exec).toBe('from-exec\n')
    expect(out.deleteKubeSystem.status).toBe(403)
    expect(out.deleteKubeSystem.body).toMatchObject({
      reason: 'Forbidden',
      message: 'namespaces "kube-system" is forbidden: this namespace may not be deleted',
      details: { name: 'kube-system', kind: 'namespaces' },
    })
    expect(out.deleteKubeSystem.body.details).not.toHaveProperty('group')
  })
})

describe('booleans in the query', () => {
  it('treats anything but 0/false as true, and a bare ?watch as a watch', async () => {
    for (const q of ['watch', 'watch=True', 'watch=yes', 'watch=']) {
      const evs = await watchEvents(`/api/v1/namespaces/default/pods?${q}`, {}, (e) => e.length >= 1)
      expect(evs[0]?.type).toBe('ADDED')
    }
    for (const q of ['watch=False', 'watch=0']) {
      const r = await call('GET', `/api/v1/namespaces/default/pods?${q}`)
      expect(JSON.parse(r.text).kind).toBe('PodList')
    }
  })
})

describe('watch-list', () => {
  it('ends the initial events with a bookmark annotated k8s.io/initial-events-end', async () => {
    const evs = await watchEvents(
      '/api/v1/namespaces/default/pods?watch=1&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true',
      {},
      (e) => e.at(-1)?.type === 'BOOKMARK',
    )
    expect(
      evs
        .slice(0, -1)
        .map((e) => [e.type, e.object.metadata.name])
        .sort(),
    ).toEqual([
      ['ADDED', 'p1'],
      ['ADDED', 'ps'],
    ])
    const bm = evs.at(-1)!.object
    expect(bm.kind).toBe('Pod')
    expect(bm.metadata.annotations['k8s.io/initial-events-end']).toBe('true')
    expect(JSON.parse(Buffer.from(bm.metadata.annotations['kubernetes.io/initial-events-list-blueprint'], 'base64').toString())).toMatchObject({
      kind: 'PodList',
      items: [],
    })
  })

  it('answers bad combinations with upstream 422s', async () => {
    const r = await call('GET', '/api/v1/namespaces/default/pods?watch=true&sendInitialEvents=true')
    expect(r.code).toBe(422)
    expect(JSON.parse(r.text).message).toBe(
      'ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: Forbidden: sendInitialEvents requires setting resourceVersionMatch to NotOlderThan',
    )
    const l = await call('GET', '/api/v1/namespaces/default/pods?sendInitialEvents=true')
    expect(JSON.parse(l.text).message).toContain('sendInitialEvents: Forbidden: sendInitialEvents is forbidden for list')
  })

  it('kubectl wait with client-go WatchListClient on finishes (it waits for the bookmark)', async () => {
    await t.k('create', 'configmap', 'wl', '--from-literal=k=v')
    const r = await t.kubectl(['wait', '--for=jsonpath={.data.k}=v', 'configmap/wl', '--timeout=30s', '-v=6'], {
      env: { KUBE_FEATURE_WatchListClient: 'true' },
    })
    expect(r.stdout).toContain('configmap/wl condition met')
    expect(r.stderr).toContain('sendInitialEvents=true')
    expect(r.code).toBe(0)
  })
})

describe('PartialObjectMetadata (client-go metadata informers)', () => {
  const LIST_ACCEPT =
    'application/vnd.kubernetes.protobuf;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json'
  const GET_ACCEPT =
    'application/vnd.kubernetes.protobuf;as=PartialObjectMetadata;g=meta.k8s.io;v=v1,application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1,application/json'

  it('get, list and watch answer metadata-only objects', async () => {
    const list = JSON.parse((await call('GET', '/api/v1/namespaces/default/pods', { Accept: LIST_ACCEPT })).text)
    expect(list.kind).toBe('PartialObjectMetadataList')
    expect(list.apiVersion).toBe('meta.k8s.io/v1')
    expect(list.metadata.resourceVersion).toMatch(/^\d+$/)
    expect(list.items.map((i: { metadata: { name: string } }) => i.metadata.name).sort()).toEqual(['p1', 'ps'])
    expect(Object.keys(list.items[0]).sort()).toEqual(['apiVersion', 'kind', 'metadata'])
    const one = JSON.parse((await call('GET', '/api/v1/namespaces/default/pods/p1', { Accept: GET_ACCEPT })).text)
    expect(one).toEqual({
      kind: 'PartialObjectMetadata',
      apiVersion: 'meta.k8s.io/v1',
      metadata: expect.objectContaining({ name: 'p1', labels: { app: 'web' } }),
    })
    const evs = await watchEvents('/api/v1/namespaces/default/pods?watch=true', { Accept: GET_ACCEPT }, (e) => e.length >= 2)
    expect(evs.map((e) => e.object.kind)).toEqual(['PartialObjectMetadata', 'PartialObjectMetadata'])
    expect(evs[0]!.object.spec).toBeUndefined()
  })

  it('a list asked for as one object is a 406 as upstream', async () => {
    const r = await call('GET', '/api/v1/namespaces/default/pods', { Accept: 'application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1' })
    expect(r.code).toBe(406)
    expect(JSON.parse(r.text).message).toBe('you requested PartialObjectMetadata, but the requested object is a list (*v1.PodList)')
  })
})

describe('Go-shaped objects and Status bodies', () => {
  it('fresh objects carry the empty structs Go writes', async () => {
    await t.k('create', 'deployment', 'shape', '--image=nginx')
    await t.k('create', 'job', 'shape', '--image=busybox')
    expect(JSON.parse(await t.k('get', 'deployment', 'shape', '-o', 'json')).status).toEqual({})
    expect(JSON.parse(await t.k('get', 'job', 'shape', '-o', 'json')).status).toEqual({})
    expect(JSON.parse(await t.k('get', 'svc', 'web', '-o', 'json')).status).toEqual({ loadBalancer: {} })
  })

  it('NotFound has no details.group for the core group, and names it for others', async () => {
    const core = JSON.parse((await call('GET', '/api/v1/namespaces/default/pods/nope')).text)
    expect(core.details).toEqual({ name: 'nope', kind: 'pods' })
    const apps = JSON.parse((await call('GET', '/apis/apps/v1/namespaces/default/deployments/nope')).text)
    expect(apps.details).toEqual({ name: 'nope', group: 'apps', kind: 'deployments' })
  })

  it('a body the decoder cannot read is "the object provided is unrecognized" (kubectl create --raw)', async () => {
    const pod = writeManifest(t.dir, 'raw-pod.yaml', 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: raw\nspec:\n  containers: [{ name: c, image: nginx }]\n')
    const r = await t.kubectl(['create', '--raw', '/api/v1/namespaces', '-f', pod])
    expect(r.code).not.toBe(0)
    expect(r.stderr).toContain('the object provided is unrecognized (must be of type Namespace)')
  })
})

describe('protected namespaces', () => {
  it('default, kube-system, kube-public and kube-node-lease cannot be deleted, also under --dry-run=server', async () => {
    for (const ns of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) {
      const r = await t.kubectl(['delete', 'namespace', ns, '--dry-run=server'])
      expect(r.stderr).toContain(`Error from server (Forbidden): namespaces "${ns}" is forbidden: this namespace may not be deleted`)
    }
    await t.k('create', 'namespace', 'scratch')
    const all = await t.kubectl(['delete', 'namespace', '--all', '--wait=false'])
    expect(all.stdout).toContain('namespace "scratch" deleted')
    expect(all.stderr).toContain('namespaces "default" is forbidden: this namespace may not be deleted')
    const left = await t.k('get', 'ns', '-o', 'name')
    for (const ns of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) expect(left).toContain(`namespace/${ns}`)
  })
})

describe('gzip', () => {
  it('compresses answers over 128 KiB when asked, with Vary, and kubectl and client-node read them', async () => {
    const big = 'x'.repeat(20_000)
    for (let i = 0; i < 8; i++)
      await client.create(resourceRef('v1', 'configmaps'), 'default', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `big-${i}` }, data: { big } })
    const gz = await call('GET', '/api/v1/namespaces/default/configmaps', { 'Accept-Encoding': 'gzip' })
    expect(gz.headers['content-encoding']).toBe('gzip')
    expect(gz.headers['vary']).toBe('Accept-Encoding')
    expect(JSON.parse(gunzipSync(gz.raw).toString()).items.length).toBeGreaterThanOrEqual(8)
    const plain = await call('GET', '/api/v1/namespaces/default/configmaps')
    expect(plain.headers['content-encoding']).toBeUndefined()
    const small = await call('GET', '/api/v1/namespaces/default/configmaps/big-0', { 'Accept-Encoding': 'gzip' })
    expect(small.headers['content-encoding']).toBeUndefined()
    expect(
      JSON.parse(await t.k('get', 'configmaps', '-o', 'json')).items.filter((c: { metadata: { name: string } }) => c.metadata.name.startsWith('big-')),
    ).toHaveLength(8)
    const kc = new k8s.KubeConfig()
    kc.loadFromFile(t.kubeconfig)
    const list = await kc.makeApiClient(k8s.CoreV1Api).listNamespacedConfigMap({ namespace: 'default' })
    expect(list.items.filter((c) => c.metadata?.name?.startsWith('big-'))).toHaveLength(8)
  })
})

describe('proxy subresources', () => {
  it('nodes/NAME/proxy reaches the kubelet; pods/NAME:PORT/proxy the pod; services/NAME:PORT/proxy an endpoint', async () => {
    expect(await t.k('get', '--raw', '/api/v1/nodes/n1/proxy/healthz')).toBe('ok')
    expect(await t.k('get', '--raw', `/api/v1/namespaces/default/pods/p1:${webPort}/proxy/x?y=1`)).toBe('hello from /x?y=1')
    expect(await t.k('get', '--raw', '/api/v1/namespaces/default/pods/p1:http/proxy/named')).toBe('hello from /named')
    expect(await t.k('get', '--raw', '/api/v1/namespaces/default/services/web:http/proxy/svc')).toBe('hello from /svc')
    expect(await t.k('get', '--raw', '/api/v1/namespaces/default/services/web/proxy/')).toBe('hello from /')
  })

  it('simulated nodes answer with the same clear 400 as logs', async () => {
    const proxied = await t.kubectl(['get', '--raw', '/api/v1/namespaces/default/pods/ps:80/proxy/'])
    expect(proxied.stderr).toContain('runs on simulated node sim1, which runs no containers')
    const node = await t.kubectl(['get', '--raw', '/api/v1/nodes/sim1/proxy/healthz'])
    expect(node.stderr).toContain('node sim1 is a simulated node, which runs no kubelet')
  })
})
