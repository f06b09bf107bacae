// API aggregation through the real kubectl: an APIService with spec.service makes the API server
// proxy /apis/wardle.example.com/v1alpha1 to a tiny HTTPS extension API server this test runs on
// loopback (its Service's EndpointSlice points at 127.0.0.1 and its port). The extension server
// checks the front-proxy client certificate against the published requestheader CA and echoes X-Remote-User and
// X-Remote-Group; Available follows the backend (ServiceNotFound, MissingEndpoints, Passed,
// FailedDiscoveryCheck) and a dead backend is a 503 that leaves the other groups' discovery alone.
import { createServer, request, type Server } from 'node:https'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { TLSSocket } from 'node:tls'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { certIdentity, createCA, issueCert, type KeyPair } from '../../src-cluster/kit/pki'
import { startTestApiServer, type TestApiServer } from '../helpers/apiserver'
import { FRONT_PROXY_CN } from '../../src-cluster/apiserver/aggregator'
import { until as poll } from '../helpers/wait'

let t: TestApiServer
let ext: Server | undefined
let port = 0
let ca: KeyPair
let allowedNames: string[] = []
const GV = '/apis/wardle.example.com/v1alpha1'

const eventually = (what: string, check: () => Promise<boolean>) => poll(what, check, { timeoutMs: 10_000, intervalMs: 100 })

function serve(req: IncomingMessage, res: ServerResponse): void {
  const cert = (req.socket as TLSSocket).getPeerCertificate(true)
  const verified = (req.socket as TLSSocket).authorized
  const json = (code: number, body: unknown) => {
    res.writeHead(code, { 'Content-Type': 'application/json' })
    res.end(JSON.stringify(body))
  }
  // Only the API server's front proxy may speak for users, as upstream's requestheader authenticator.
  const proxyCn = cert?.raw ? certIdentity(`-----BEGIN CERTIFICATE-----\n${cert.raw.toString('base64')}\n-----END CERTIFICATE-----\n`).user : ''
  if (!verified || !allowedNames.includes(proxyCn)) return json(401, { kind: 'Status', apiVersion: 'v1', status: 'Failure', code: 401, reason: 'Unauthorized' })
  const path = (req.url ?? '').split('?')[0]
  if (path === GV) {
    return json(200, {
      kind: 'APIResourceList',
      apiVersion: 'v1',
      groupVersion: 'wardle.example.com/v1alpha1',
      resources: [{ name: 'flunders', singularName: 'flunder', namespaced: true, kind: 'Flunder', verbs: ['get', 'list'], shortNames: ['fl'] }],
    })
  }
  // Standing in for metrics-server.
  if (path === '/apis/metrics.k8s.io/v1beta1') {
    return json(200, {
      kind: 'APIResourceList',
      apiVersion: 'v1',
      groupVersion: 'metrics.k8s.io/v1beta1',
      resources: [{ name: 'nodes', singularName: '', namespaced: false, kind: 'NodeMetrics', verbs: ['get', 'list'] }],
    })
  }
  if (path === '/apis/metrics.k8s.io/v1beta1/nodes') {
    return json(200, { kind: 'NodeMetricsList', apiVersion: 'metrics.k8s.io/v1beta1', metadata: {}, items: [{ metadata: { name: 'from-extension' } }] })
  }
  if (path === `${GV}/namespaces/default/flunders` && req.method === 'POST') {
    const chunks: Buffer[] = []
    req.on('data', (d: Buffer) => chunks.push(d))
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString())
      json(201, { ...body, metadata: { ...body.metadata, namespace: 'default', annotations: { user: String(req.headers['x-remote-user']) } } })
    })
    return
  }
  if (path === `${GV}/namespaces/default/flunders` && /[?&]watch=(1|true)/.test(req.url ?? '')) {
    // A watch: one event now, and the stream stays open (the client hangs up).
    res.writeHead(200, { 'Content-Type': 'application/json' })
    res.write(`${JSON.stringify({ type: 'ADDED', object: { kind: 'Flunder', apiVersion: 'wardle.example.com/v1alpha1', metadata: { name: 'fluffy' } } })}\n`)
    return
  }
  if (path === `${GV}/namespaces/default/flunders`) {
    const groups = req.headers['x-remote-group']
    return json(200, {
      kind: 'FlunderList',
      apiVersion: 'wardle.example.com/v1alpha1',
      metadata: { resourceVersion: '1' },
      items: [
        {
          kind: 'Flunder',
          apiVersion: 'wardle.example.com/v1alpha1',
          metadata: {
            name: 'fluffy',
            namespace: 'default',
            creationTimestamp: '2026-01-01T00:00:00Z',
            annotations: { user: String(req.headers['x-remote-user']), groups: Array.isArray(groups) ? groups.join(',') : String(groups) },
          },
        },
      ],
    })
  }
  json(404, { kind: 'Status', apiVersion: 'v1', status: 'Failure', code: 404, reason: 'NotFound' })
}

beforeAll(async () => {
  t = await startTestApiServer()
  ca = createCA('wardle-test-ca')
  const cert = issueCert(ca, { commonName: 'api', server: true, dnsNames: ['api.wardle.svc'] })
  // As an extension server starts: it learns whom to trust from the published ConfigMap.
  const auth = JSON.parse(await t.k('get', 'configmap', 'extension-apiserver-authentication', '-n', 'kube-system', '-o', 'json')).data
  expect(JSON.parse(auth['requestheader-username-headers'])).toEqual(['X-Remote-User'])
  expect(JSON.parse(auth['requestheader-group-headers'])).toEqual(['X-Remote-Group'])
  allowedNames = JSON.parse(auth['requestheader-allowed-names'])
  const requestHeaderCa = auth['requestheader-client-ca-file']
  ext = createServer({ key: cert.keyPem, cert: cert.certPem, ca: [requestHeaderCa], requestCert: true, rejectUnauthorized: false }, serve)
  port = await new Promise<number>((resolve) => ext!.listen(0, '127.0.0.1', () => resolve((ext!.address() as { port: number }).port)))
})

afterAll(async () => {
  if (ext?.listening) {
    ext.closeAllConnections()
    await new Promise<void>((r) => ext!.close(() => r()))
  }
  await t?.close()
})

const apiService = () =>
  JSON.stringify({
    apiVersion: 'apiregistration.k8s.io/v1',
    kind: 'APIService',
    metadata: { name: 'v1alpha1.wardle.example.com' },
    spec: {
      group: 'wardle.example.com',
      version: 'v1alpha1',
      service: { namespace: 'wardle', name: 'api', port: 443 },
      caBundle: Buffer.from(ca.certPem).toString('base64'),
      groupPriorityMinimum: 1000,
      versionPriority: 15,
    },
  })

async function availability(): Promise<string> {
  const o = JSON.parse(await t.k('get', 'apiservice', 'v1alpha1.wardle.example.com', '-o', 'json'))
  const c = (o.status?.conditions ?? []).find((x: { type: string }) => x.type === 'Available')
  return c ? `${c.status} ${c.reason}: ${c.message}` : 'none'
}

describe('an APIService backed by a Service', () => {
  it('reports why it is unavailable, then proxies to the extension server once it has a ready endpoint', async () => {
    await t.k('create', 'namespace', 'wardle')
    expect((await t.kubectl(['apply', '-f', '-'], { input: apiService() })).code).toBe(0)
    await eventually('ServiceNotFound', async () => (await availability()) === 'False ServiceNotFound: service/api in "wardle" is not present')

    await t.kubectl(['apply', '-f', '-'], {
      input: JSON.stringify({
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'api', namespace: 'wardle' },
        spec: { ports: [{ name: 'https', port: 443, targetPort: port }] },
      }),
    })
    await eventually('MissingEndpoints', async () =>
      (await availability()).startsWith('False MissingEndpoints: endpoints for service/api in "wardle" have no addresses with port name "https"'),
    )
    // Not available: its paths are 503, kubectl shows the APIService as upstream does.
    expect(await t.k('get', 'apiservice', 'v1alpha1.wardle.example.com')).toMatch(
      /^v1alpha1\.wardle\.example\.com\s+wardle\/api\s+False \(MissingEndpoints\)\s+\S+$/m,
    )
    const down = await t.kubectl(['get', '--raw', `${GV}/namespaces/default/flunders`])
    expect(down.stderr).toContain('ServiceUnavailable')

    await t.kubectl(['apply', '-f', '-'], {
      input: JSON.stringify({
        apiVersion: 'discovery.k8s.io/v1',
        kind: 'EndpointSlice',
        metadata: { name: 'api-1', namespace: 'wardle', labels: { 'kubernetes.io/service-name': 'api' } },
        addressType: 'IPv4',
        endpoints: [{ addresses: ['127.0.0.1'], conditions: { ready: true } }],
        ports: [{ name: 'https', port, protocol: 'TCP' }],
      }),
    })
    await eventually('Available', async () => (await availability()) === 'True Passed: all checks passed')
    expect(await t.k('get', 'apiservice', 'v1alpha1.wardle.example.com')).toMatch(/^v1alpha1\.wardle\.example\.com\s+wardle\/api\s+True\s+\S+$/m)

    // Discovery: legacy and aggregated, so kubectl api-resources and get find the resource.
    const groups = JSON.parse(await t.k('get', '--raw', '/apis'))
    expect(groups.groups).toContainEqual(
      expect.objectContaining({ name: 'wardle.example.com', preferredVersion: { groupVersion: 'wardle.example.com/v1alpha1', version: 'v1alpha1' } }),
    )
    expect(JSON.parse(await t.k('get', '--raw', '/apis/wardle.example.com')).kind).toBe('APIGroup')
    expect(await t.k('api-resources', '--api-group=wardle.example.com', '--no-headers')).toMatch(
      /^flunders\s+fl\s+wardle\.example\.com\/v1alpha1\s+true\s+Flunder$/m,
    )
    expect(await t.k('get', 'flunders')).toMatch(/^NAME\s+AGE\nfluffy\s+\S+\n$/)
    // The user goes through in the front-proxy headers, trusted by the extension server only
    // because the proxy's client certificate verifies against the front-proxy CA.
    const item = JSON.parse(await t.k('get', 'fl', '-o', 'json')).items[0]
    expect(item.metadata.annotations.user).toBe('kubernetes-admin')
    expect(item.metadata.annotations.groups.split(',')).toContain('system:masters')

    // sample-apiserver's own RBAC: delegated authn/authz and reading the published ConfigMap.
    const sa = 'system:serviceaccount:wardle:api'
    await t.k('create', 'clusterrolebinding', 'wardle:system:auth-delegator', '--clusterrole=system:auth-delegator', '--serviceaccount=wardle:api')
    await t.k(
      'create',
      'rolebinding',
      'wardle-auth-reader',
      '-n',
      'kube-system',
      '--role=extension-apiserver-authentication-reader',
      '--serviceaccount=wardle:api',
    )
    expect(await t.k('auth', 'can-i', 'create', 'tokenreviews', `--as=${sa}`)).toBe('yes\n')
    expect(await t.k('auth', 'can-i', 'create', 'subjectaccessreviews', `--as=${sa}`)).toBe('yes\n')
    expect(await t.k('get', 'configmap', 'extension-apiserver-authentication', '-n', 'kube-system', `--as=${sa}`, '-o', 'name')).toBe(
      'configmap/extension-apiserver-authentication\n',
    )
    expect((await t.kubectl(['auth', 'can-i', 'get', 'configmaps/kube-proxy', '-n', 'kube-system', `--as=${sa}`])).stdout).toBe('no\n')

    // RBAC here decides before anything is proxied.
    const denied = await t.kubectl(['get', 'flunders', '--as=alice'])
    expect(denied.stderr).toContain('flunders.wardle.example.com is forbidden: User "alice" cannot list resource "flunders" in API group "wardle.example.com"')
  })

  it('trusts the proxy through its own front-proxy CA: a cluster-CA certificate with its name cannot speak for users', async () => {
    const auth = JSON.parse(await t.k('get', 'configmap', 'extension-apiserver-authentication', '-n', 'kube-system', '-o', 'json')).data
    expect(auth['client-ca-file']).toBe(t.server.pki.ca.certPem)
    expect(auth['requestheader-client-ca-file']).not.toContain(t.server.pki.ca.certPem.trim())
    // What a user could get from an approved CSR (kube-apiserver-client signer = the cluster CA).
    const forged = issueCert(t.server.pki.ca, { commonName: FRONT_PROXY_CN, client: true })
    const status = await new Promise<number>((resolve, reject) => {
      const r = request(
        {
          host: '127.0.0.1',
          port,
          path: `${GV}/namespaces/default/flunders`,
          ca: ca.certPem,
          servername: 'api.wardle.svc',
          cert: forged.certPem,
          key: forged.keyPem,
          headers: { 'X-Remote-User': 'kubernetes-admin', 'X-Remote-Group': 'system:masters' },
        },
        (res) => {
          res.resume()
          resolve(res.statusCode ?? 0)
        },
      )
      r.on('error', reject)
      r.end()
    })
    expect(status).toBe(401)
    // The real proxy still gets through (its certificate chains to the front-proxy CA).
    expect(JSON.parse(await t.k('get', 'fl', '-o', 'json')).items[0].metadata.annotations.user).toBe('kubernetes-admin')
  })

  it('streams watches and passes request bodies through', async () => {
    const call = (method: string, path: string, body?: string) =>
      new Promise<IncomingMessage>((resolve, reject) => {
        const u = new URL(t.server.url)
        const r = request(
          {
            host: u.hostname,
            port: u.port,
            path,
            method,
            ca: t.server.pki.ca.certPem,
            cert: t.server.admin.certPem,
            key: t.server.admin.keyPem,
            headers: body ? { 'Content-Type': 'application/json' } : {},
          },
          resolve,
        )
        r.on('error', reject)
        r.end(body)
      })
    const w = await call('GET', `${GV}/namespaces/default/flunders?watch=true`)
    expect(w.statusCode).toBe(200)
    // The first event arrives while the backend still holds the stream open.
    const first = await new Promise<string>((resolve) => w.once('data', (d: Buffer) => resolve(d.toString())))
    expect(JSON.parse(first)).toMatchObject({ type: 'ADDED', object: { metadata: { name: 'fluffy' } } })
    w.destroy()

    const created = await call(
      'POST',
      `${GV}/namespaces/default/flunders`,
      JSON.stringify({ apiVersion: 'wardle.example.com/v1alpha1', kind: 'Flunder', metadata: { name: 'new' } }),
    )
    expect(created.statusCode).toBe(201)
    const text = await new Promise<string>((resolve) => {
      const chunks: Buffer[] = []
      created.on('data', (d: Buffer) => chunks.push(d))
      created.on('end', () => resolve(Buffer.concat(chunks).toString()))
    })
    expect(JSON.parse(text)).toMatchObject({ kind: 'Flunder', metadata: { name: 'new', namespace: 'default', annotations: { user: 'kubernetes-admin' } } })
  })

  it('lets a metrics-server APIService replace the local metrics.k8s.io, which comes back when it goes', async () => {
    const metrics = {
      apiVersion: 'apiregistration.k8s.io/v1',
      kind: 'APIService',
      metadata: { name: 'v1beta1.metrics.k8s.io' },
      spec: {
        group: 'metrics.k8s.io',
        version: 'v1beta1',
        service: { namespace: 'wardle', name: 'api' },
        insecureSkipTLSVerify: true,
        groupPriorityMinimum: 100,
        versionPriority: 100,
      },
    }
    const applied = await t.kubectl(['apply', '-f', '-'], { input: JSON.stringify(metrics) })
    // kubectl apply patches the existing one (warning that it was not applied before), as upstream.
    expect(applied.code).toBe(0)
    expect(applied.stdout).toBe('apiservice.apiregistration.k8s.io/v1beta1.metrics.k8s.io configured\n')
    await eventually('metrics served by the extension', async () =>
      (await t.kubectl(['get', '--raw', '/apis/metrics.k8s.io/v1beta1/nodes'])).stdout.includes('from-extension'),
    )
    expect(await t.k('get', 'apiservice', 'v1beta1.metrics.k8s.io')).toMatch(/^v1beta1\.metrics\.k8s\.io\s+wardle\/api\s+True\s+\S+$/m)
    const groups = JSON.parse(await t.k('get', '--raw', '/apis')).groups.filter((g: { name: string }) => g.name === 'metrics.k8s.io')
    expect(groups).toHaveLength(1)
    expect(await t.k('api-resources', '--api-group=metrics.k8s.io', '--no-headers')).toMatch(/^nodes\s+metrics\.k8s\.io\/v1beta1\s+false\s+NodeMetrics$/m)

    await t.k('delete', 'apiservice', 'v1beta1.metrics.k8s.io')
    await eventually('local metrics back', async () =>
      /^v1beta1\.metrics\.k8s\.io\s+Local\s+True/m.test((await t.kubectl(['get', 'apiservice', 'v1beta1.metrics.k8s.io'])).stdout),
    )
    expect((await t.kubectl(['get', '--raw', '/apis/metrics.k8s.io/v1beta1/nodes'])).stdout).not.toContain('from-extension')
  })

  it('answers 503 for a dead backend, marks it FailedDiscoveryCheck and keeps the other groups discoverable', async () => {
    ext!.closeAllConnections()
    await new Promise<void>((r) => ext!.close(() => r()))
    const r = await t.kubectl(['get', '--raw', `${GV}/namespaces/default/flunders`])
    expect(r.code).not.toBe(0)
    expect(r.stderr).toContain('ServiceUnavailable')
    await eventually('FailedDiscoveryCheck', async () =>
      (await availability()).startsWith('False FailedDiscoveryCheck: failing or missing response from https://'),
    )
    expect(await availability()).toContain(`${GV}: `)
    expect(await t.k('get', 'apiservice', 'v1alpha1.wardle.example.com')).toMatch(/False \(FailedDiscoveryCheck\)/)
    // Other groups stay discoverable and usable.
    const ar = await t.kubectl(['api-resources', '--api-group=apps', '--no-headers'])
    expect(ar.stdout).toMatch(/^deployments\s+deploy\s+apps\/v1\s+true\s+Deployment$/m)
    expect((await t.kubectl(['get', 'namespaces', 'wardle'])).code).toBe(0)

    await t.k('delete', 'apiservice', 'v1alpha1.wardle.example.com')
    await eventually(
      'group gone',
      async () => !JSON.parse(await t.k('get', '--raw', '/apis')).groups.some((g: { name: string }) => g.name === 'wardle.example.com'),
    )
  })
})
