// The ingress controller wired to an in-process API server: it creates the default class,
// routes Ingresses applied with the real kubectl to Service endpoints from EndpointSlices,
// follows changes, ignores other classes, writes status.loadBalancer from its presence Lease,
// and removes its Lease on stop.
import { createServer, request, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createClient, loadKubeconfig, type ClosableClient } from '../../src-cluster/client'
import { IngressController } from '../../src-cluster/ingress'
import { startTestApiServer, writeManifest, type TestApiServer } from '../helpers/apiserver'
import type { IngressClassObj, IngressObj } from '../../src-cluster/kit/objects'
import { RES } from '../../src-cluster/kit/resources'
import { until as poll } from '../helpers/wait'

let api: TestApiServer
let client: ClosableClient
let controller: IngressController | undefined
let backend: Server
let backendPort = 0
let port = 0

function get(path: string, host: string): Promise<{ status: number; body: string }> {
  return new Promise((ok, fail) => {
    const req = request({ host: '127.0.0.1', port, path, headers: { host }, agent: false }, (res) => {
      let body = ''
      res.on('data', (d: Buffer) => (body += d))
      res.on('end', () => ok({ status: res.statusCode ?? 0, body }))
    })
    req.on('error', fail)
    req.end()
  })
}

const until = <T>(what: string, check: () => Promise<T>, ms = 30_000) => poll(what, check, { timeoutMs: ms, intervalMs: 100 })

const objects = (bport: number): string => `apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  ports: [{name: http, port: 80, targetPort: 8080}]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: web-1, labels: {kubernetes.io/service-name: web}}
addressType: IPv4
ports: [{name: http, port: ${bport}, protocol: TCP}]
endpoints: [{addresses: [127.0.0.1], conditions: {ready: true}}]
---
apiVersion: v1
kind: Service
metadata: {name: idle}
spec:
  ports: [{port: 80}]
`

beforeAll(async () => {
  api = await startTestApiServer()
  client = createClient({ ...loadKubeconfig(api.kubeconfig), userAgent: 'ingress-test' })
  backend = createServer((req, res) => res.end(`backend saw ${req.url}`))
  await new Promise<void>((r) => backend.listen(0, '127.0.0.1', r))
  backendPort = (backend.address() as AddressInfo).port
  await api.k('apply', '-f', writeManifest(api.dir, 'objects.yaml', objects(backendPort)))
  controller = new IngressController(client, { node: 'node-a', address: '127.0.0.1', proxy: { httpPort: 0 }, renewMs: 500, log: () => {} })
  const addrs = await controller.start()
  port = addrs.http.port
}, 60_000)

afterAll(async () => {
  await controller?.stop()
  client?.close()
  backend?.closeAllConnections()
  await new Promise((r) => backend?.close(r))
  await api?.close()
}, 30_000)

describe('ingress controller', () => {
  it('creates the default IngressClass kubelab', async () => {
    const cls = JSON.parse(await api.k('get', 'ingressclass', 'kubelab', '-o', 'json')) as IngressClassObj
    expect(cls.spec?.controller).toBe('kubelab.dev/ingress')
    expect(cls.metadata?.annotations?.['ingressclass.kubernetes.io/is-default-class']).toBe('true')
  })

  it('routes an Ingress applied with kubectl and writes its status', async () => {
    await api.k('create', 'ingress', 'site', '--class=kubelab', '--rule=site.test/app*=web:http', '--rule=site.test/idle=idle:80')
    const ok = await until('the route', async () => {
      const r = await get('/app/x', 'site.test')
      return r.status === 200 && r
    })
    expect(ok.body).toBe('backend saw /app/x')
    const idle = await get('/idle', 'site.test')
    expect(idle.status).toBe(503)
    expect(idle.body).toContain('service default/idle has no ready endpoints')
    expect((await get('/app', 'other.test')).status).toBe(404)
    const ing = await until('the status', async () => {
      const i = JSON.parse(await api.k('get', 'ingress', 'site', '-o', 'json')) as IngressObj
      return i.status?.loadBalancer?.ingress?.length ? i : undefined
    })
    expect(ing.status?.loadBalancer?.ingress).toEqual([{ ip: '127.0.0.1' }])
    expect(await api.k('get', 'ingress', 'site')).toMatch(/site\s+kubelab\s+site\.test\s+127\.0\.0\.1\s+80/)
  })

  it('follows changes to the Ingress', async () => {
    await api.k('patch', 'ingress', 'site', '--type=json', '-p', '[{"op":"replace","path":"/spec/rules/0/host","value":"new.test"}]')
    await until('the new host to route', async () => (await get('/app', 'new.test')).status === 200)
    expect((await get('/app', 'site.test')).status).toBe(404)
  })

  it('ignores Ingresses of another class and takes class-less ones (default class)', async () => {
    await api.k('create', 'ingress', 'other', '--class=nginx', '--rule=nginx.test/*=web:http')
    await api.k('create', 'ingress', 'plain', '--rule=plain.test/*=web:http')
    await until('the class-less Ingress to route', async () => (await get('/', 'plain.test')).status === 200)
    expect((await get('/', 'nginx.test')).status).toBe(404)
    const other = JSON.parse(await api.k('get', 'ingress', 'other', '-o', 'json')) as IngressObj
    expect(other.status?.loadBalancer?.ingress ?? []).toEqual([])
  })

  it('deletes its presence Lease on stop', async () => {
    const lease = await client.get(RES.leases, 'kube-system', 'ingress-node-a')
    expect(lease?.metadata?.annotations).toMatchObject({ 'kubelab.dev/ingress-address': '127.0.0.1' })
    await controller!.stop()
    controller = undefined
    expect(await client.get(RES.leases, 'kube-system', 'ingress-node-a')).toBeUndefined()
    await expect(get('/', 'plain.test')).rejects.toThrow(/ECONNREFUSED/)
  })
})
