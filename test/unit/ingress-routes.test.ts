// The ingress controller's pure parts: host and path matching, the routing table (precedence,
// default backend, Service port by number or name → EndpointSlice endpoints), class selection,
// TLS certificate lookup and the status it writes.
import { describe, expect, it } from 'vitest'
import {
  buildRoutingTable,
  buildTlsTable,
  classView,
  hostMatches,
  isOurIngress,
  isStatusWriter,
  liveInstances,
  normalizeHost,
  pathMatches,
  requestPath,
  statusChanges,
  type RouteResult,
} from '../../src-cluster/ingress'
import type { IngressClassObj, IngressObj, LeaseObj, SecretObj, ServiceObj, SliceObj } from '../../src-cluster/kit/objects'

type PathSpec = { path?: string; pathType?: string; service: string; port: number | string }

function ingress(
  name: string,
  o: {
    ns?: string
    created?: string
    cls?: string
    rules?: { host?: string; paths: PathSpec[] }[]
    def?: { service: string; port: number | string }
    tls?: { hosts?: string[]; secretName?: string }[]
    status?: string[]
  } = {},
): IngressObj {
  const backend = (s: string, p: number | string) => ({ service: { name: s, port: typeof p === 'number' ? { number: p } : { name: p } } })
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name, namespace: o.ns ?? 'default', creationTimestamp: o.created ?? '2026-01-01T00:00:00Z' },
    spec: {
      ingressClassName: o.cls,
      defaultBackend: o.def ? backend(o.def.service, o.def.port) : undefined,
      rules: o.rules?.map((r) => ({
        host: r.host,
        http: { paths: r.paths.map((p) => ({ path: p.path, pathType: p.pathType ?? 'Prefix', backend: backend(p.service, p.port) })) },
      })),
      tls: o.tls,
    },
    status: o.status ? { loadBalancer: { ingress: o.status.map((ip) => ({ ip })) } } : undefined,
  } as IngressObj
}

function service(name: string, ports: { name?: string; port: number }[], o: { ns?: string; type?: string } = {}): ServiceObj {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: o.ns ?? 'default' },
    spec: { type: o.type ?? 'ClusterIP', ports: ports.map((p) => ({ ...p, protocol: 'TCP' })) },
  } as ServiceObj
}

function slice(svc: string, ports: { name?: string; port: number }[], eps: { ip: string; ready?: boolean }[], ns = 'default'): SliceObj {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: `${svc}-x`, namespace: ns, labels: { 'kubernetes.io/service-name': svc } },
    addressType: 'IPv4',
    ports: ports.map((p) => ({ name: p.name ?? '', port: p.port, protocol: 'TCP' })),
    endpoints: eps.map((e) => ({ addresses: [e.ip], conditions: { ready: e.ready ?? true } })),
  } as SliceObj
}

const target = (r: RouteResult): string =>
  r.kind === 'none' ? 'none' : `${r.backend.service}:${r.backend.port}${r.rule ? ` ${r.rule.pathType} ${r.rule.path}` : ' default'}`

describe('host and path matching', () => {
  it('normalizes Host headers and request targets', () => {
    expect(normalizeHost('Foo.Example.com:8080')).toBe('foo.example.com')
    expect(normalizeHost('[::1]:80')).toBe('::1')
    expect(normalizeHost('example.com.')).toBe('example.com')
    expect(normalizeHost(undefined)).toBe('')
    expect(requestPath('/a/b?x=1#f')).toBe('/a/b')
    expect(requestPath('http://h.example/z?q')).toBe('/z')
    expect(requestPath('')).toBe('/')
  })

  it('matches exact hosts and single-label wildcards', () => {
    expect(hostMatches('foo.example.com', 'foo.example.com')).toBe(true)
    expect(hostMatches('Foo.example.com', 'foo.example.com')).toBe(true)
    expect(hostMatches('foo.example.com', 'bar.example.com')).toBe(false)
    expect(hostMatches('*.example.com', 'bar.example.com')).toBe(true)
    expect(hostMatches('*.example.com', 'baz.bar.example.com')).toBe(false)
    expect(hostMatches('*.example.com', 'example.com')).toBe(false)
    expect(hostMatches('', 'anything.at.all')).toBe(true)
  })

  it('matches Prefix element by element and Exact whole', () => {
    // the examples table of the Ingress documentation
    expect(pathMatches('Prefix', '/', '/anything')).toBe(true)
    expect(pathMatches('Exact', '/foo', '/foo')).toBe(true)
    expect(pathMatches('Exact', '/foo', '/bar')).toBe(false)
    expect(pathMatches('Exact', '/foo', '/foo/')).toBe(false)
    expect(pathMatches('Exact', '/foo/', '/foo')).toBe(false)
    expect(pathMatches('Prefix', '/foo', '/foo')).toBe(true)
    expect(pathMatches('Prefix', '/foo', '/foo/')).toBe(true)
    expect(pathMatches('Prefix', '/foo/', '/foo')).toBe(true)
    expect(pathMatches('Prefix', '/aaa/bb', '/aaa/bbb')).toBe(false)
    expect(pathMatches('Prefix', '/aaa/bbb', '/aaa/bbb/ccc')).toBe(true)
    expect(pathMatches('Prefix', '/aaa/bbb/', '/aaa/bbb')).toBe(true)
    expect(pathMatches('Prefix', '/aaa/bbb', '/aaa/bbbxyz')).toBe(false)
    expect(pathMatches('ImplementationSpecific', '/api', '/api/v1')).toBe(true)
  })
})

describe('routing table', () => {
  const services = [
    service('a', [{ name: 'http', port: 80 }]),
    service('b', [{ port: 8080 }]),
    service('c', [{ name: 'web', port: 9000 }]),
    service('d', [{ port: 80 }]),
  ]
  const slices = [
    slice('a', [{ name: 'http', port: 8000 }], [{ ip: '10.244.1.2' }, { ip: '10.244.1.3' }, { ip: '10.244.1.9', ready: false }]),
    slice('b', [{ port: 8080 }], [{ ip: '10.244.2.2' }]),
    slice('c', [{ name: 'web', port: 9090 }], [{ ip: '10.244.3.2' }]),
    slice('d', [{ port: 80 }], [{ ip: '10.244.4.2' }]),
  ]

  it('picks the longest matching path, Exact over Prefix on a tie, Prefix on element boundaries', () => {
    const t = buildRoutingTable({
      ingresses: [
        ingress('x', {
          rules: [
            {
              paths: [
                { path: '/', service: 'd', port: 80 },
                { path: '/app', service: 'a', port: 80 },
                { path: '/app/admin', service: 'b', port: 8080 },
                { path: '/app', pathType: 'Exact', service: 'c', port: 'web' },
              ],
            },
          ],
        }),
      ],
      services,
      slices,
    })
    expect(target(t.route('h', '/app'))).toBe('c:web Exact /app')
    expect(target(t.route('h', '/app/'))).toBe('a:80 Prefix /app')
    expect(target(t.route('h', '/app/admin/users'))).toBe('b:8080 Prefix /app/admin')
    expect(target(t.route('h', '/application'))).toBe('d:80 Prefix /')
    expect(target(t.route('h', '/'))).toBe('d:80 Prefix /')
  })

  it('prefers an exact host over a wildcard over rules without host', () => {
    const t = buildRoutingTable({
      ingresses: [
        ingress('x', {
          rules: [
            { paths: [{ path: '/', service: 'd', port: 80 }] },
            { host: '*.example.com', paths: [{ path: '/', service: 'b', port: 8080 }] },
            { host: 'shop.example.com', paths: [{ path: '/cart', service: 'a', port: 'http' }] },
          ],
        }),
      ],
      services,
      slices,
    })
    expect(target(t.route('shop.example.com', '/cart/1'))).toBe('a:http Prefix /cart')
    // the exact host has no rule for "/": the next group that covers the host answers
    expect(target(t.route('shop.example.com', '/'))).toBe('b:8080 Prefix /')
    expect(target(t.route('blog.example.com', '/'))).toBe('b:8080 Prefix /')
    expect(target(t.route('a.b.example.com', '/'))).toBe('d:80 Prefix /')
    expect(target(t.route('other.org', '/x'))).toBe('d:80 Prefix /')
  })

  it('uses the defaultBackend when nothing matches, and answers none without one', () => {
    const withDefault = buildRoutingTable({
      ingresses: [ingress('x', { def: { service: 'd', port: 80 }, rules: [{ host: 'a.test', paths: [{ path: '/a', service: 'a', port: 80 }] }] })],
      services,
      slices,
    })
    expect(target(withDefault.route('a.test', '/zzz'))).toBe('d:80 default')
    expect(target(withDefault.route('b.test', '/a'))).toBe('d:80 default')
    const none = buildRoutingTable({
      ingresses: [ingress('x', { rules: [{ host: 'a.test', paths: [{ path: '/a', service: 'a', port: 80 }] }] })],
      services,
      slices,
    })
    expect(none.route('a.test', '/b').kind).toBe('none')
    expect(none.route('b.test', '/a').kind).toBe('none')
  })

  it('lets the older Ingress win a conflict, and the older defaultBackend', () => {
    const newer = ingress('newer', {
      created: '2026-02-01T00:00:00Z',
      def: { service: 'b', port: 8080 },
      rules: [{ paths: [{ path: '/p', service: 'b', port: 8080 }] }],
    })
    const older = ingress('older', {
      created: '2026-01-01T00:00:00Z',
      def: { service: 'd', port: 80 },
      rules: [{ paths: [{ path: '/p', service: 'a', port: 80 }] }],
    })
    const t = buildRoutingTable({ ingresses: [newer, older], services, slices })
    expect(target(t.route('h', '/p'))).toBe('a:80 Prefix /p')
    expect(t.defaultBackend?.service).toBe('d')
    expect(t.defaultBackend?.ingress).toBe('default/older')
  })

  it('resolves a Service port by number or by name to the ready endpoints with their target ports', () => {
    const t = buildRoutingTable({
      ingresses: [
        ingress('x', {
          rules: [
            { host: 'n', paths: [{ path: '/', service: 'a', port: 80 }] },
            { host: 'm', paths: [{ path: '/', service: 'a', port: 'http' }] },
          ],
        }),
      ],
      services,
      slices,
    })
    for (const host of ['n', 'm']) {
      const r = t.route(host, '/')
      expect(r.kind).toBe('backend')
      if (r.kind !== 'backend') continue
      expect(r.backend.endpoints.map((e) => `${e.ip}:${e.port}`)).toEqual(['10.244.1.2:8000', '10.244.1.3:8000'])
      expect(r.backend.unavailable).toBeUndefined()
    }
  })

  it('says why a backend has no endpoints', () => {
    const ing = ingress('x', {
      rules: [
        {
          paths: [
            { path: '/missing', service: 'ghost', port: 80 },
            { path: '/badport', service: 'a', port: 81 },
            { path: '/badname', service: 'a', port: 'grpc' },
            { path: '/empty', service: 'e', port: 80 },
            { path: '/ext', service: 'x', port: 80 },
          ],
        },
      ],
    })
    const t = buildRoutingTable({
      ingresses: [ing],
      services: [...services, service('e', [{ port: 80 }]), service('x', [{ port: 80 }], { type: 'ExternalName' })],
      slices: [...slices, slice('e', [{ port: 80 }], [{ ip: '10.244.9.9', ready: false }])],
    })
    const why = (p: string): string | undefined => {
      const r = t.route('h', p)
      return r.kind === 'backend' ? r.backend.unavailable : 'no route'
    }
    expect(why('/missing')).toBe('service default/ghost does not exist')
    expect(why('/badport')).toMatch(/service default\/a has no port 81 \(it has: http\/80\)/)
    expect(why('/badname')).toMatch(/has no port "grpc"/)
    expect(why('/empty')).toBe('service default/e has no ready endpoints')
    expect(why('/ext')).toMatch(/ExternalName/)
  })

  it('looks Services up in the Ingress namespace only', () => {
    const t = buildRoutingTable({ ingresses: [ingress('x', { ns: 'team', rules: [{ paths: [{ path: '/', service: 'a', port: 80 }] }] })], services, slices })
    const r = t.route('h', '/')
    expect(r.kind === 'backend' && r.backend.unavailable).toBe('service team/a does not exist')
  })
})

describe('ingress classes', () => {
  const cls = (name: string, controller: string, isDefault = false, created = '2026-01-01T00:00:00Z'): IngressClassObj => ({
    apiVersion: 'networking.k8s.io/v1',
    kind: 'IngressClass',
    metadata: { name, creationTimestamp: created, annotations: isDefault ? { 'ingressclass.kubernetes.io/is-default-class': 'true' } : {} },
    spec: { controller },
  })

  it('takes Ingresses of our classes, and class-less ones only when the default class is ours', () => {
    const view = classView([cls('kubelab', 'kubelab.dev/ingress', true), cls('nginx', 'k8s.io/ingress-nginx')])
    expect(isOurIngress(ingress('a', { cls: 'kubelab' }), view)).toBe(true)
    expect(isOurIngress(ingress('b', { cls: 'nginx' }), view)).toBe(false)
    expect(isOurIngress(ingress('c', { cls: 'unknown' }), view)).toBe(false)
    expect(isOurIngress(ingress('d'), view)).toBe(true)
    const legacy = ingress('e')
    legacy.metadata!.annotations = { 'kubernetes.io/ingress.class': 'nginx' }
    expect(isOurIngress(legacy, view)).toBe(false)
    const notDefault = classView([cls('kubelab', 'kubelab.dev/ingress'), cls('nginx', 'k8s.io/ingress-nginx', true)])
    expect(isOurIngress(ingress('d'), notDefault)).toBe(false)
    expect(isOurIngress(ingress('d'), classView([]))).toBe(false)
    // two defaults: the newer one decides
    const two = classView([
      cls('kubelab', 'kubelab.dev/ingress', true, '2026-01-01T00:00:00Z'),
      cls('nginx', 'k8s.io/ingress-nginx', true, '2026-03-01T00:00:00Z'),
    ])
    expect(two.defaultIsOurs).toBe(false)
  })
})

describe('TLS table', () => {
  const secret = (name: string, crt = 'CERT', key = 'KEY'): SecretObj => ({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace: 'default', resourceVersion: '7' },
    type: 'kubernetes.io/tls',
    data: { 'tls.crt': Buffer.from(crt).toString('base64'), 'tls.key': Buffer.from(key).toString('base64') },
  })

  it('maps hosts to certificates, exact before wildcard, older Ingress first, and reports unusable secrets', () => {
    const t = buildTlsTable(
      [
        ingress('one', {
          tls: [
            { hosts: ['shop.example.com'], secretName: 'shop' },
            { hosts: ['*.example.com'], secretName: 'wild' },
            { hosts: ['x.test'], secretName: 'gone' },
          ],
        }),
        ingress('two', { tls: [{ hosts: ['shop.example.com'], secretName: 'other' }, { secretName: 'fallback' }] }),
      ],
      [secret('shop', 'SHOP'), secret('wild', 'WILD'), secret('other', 'OTHER'), secret('fallback', 'FB'), { ...secret('broken'), data: {} }],
    )
    expect(t.lookup('SHOP.example.com')?.certPem).toBe('SHOP')
    expect(t.lookup('blog.example.com')?.certPem).toBe('WILD')
    expect(t.lookup('a.b.example.com')).toBeUndefined()
    expect(t.fallback?.certPem).toBe('FB')
    expect(t.lookup('shop.example.com')?.version).toBe('default/shop@7')
    expect(t.problems).toEqual(['ingress default/one: TLS secret default/gone does not exist'])
  })
})

describe('status', () => {
  const now = new Date('2026-01-01T00:01:00Z')
  const lease = (node: string, ip: string, renew: string): LeaseObj => ({
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: {
      name: `ingress-${node}`,
      namespace: 'kube-system',
      labels: { 'kubelab.dev/component': 'ingress' },
      annotations: { 'kubelab.dev/ingress-address': ip },
    },
    spec: { holderIdentity: node, leaseDurationSeconds: 40, renewTime: renew },
  })

  it('counts only unexpired presence leases and lets the first live node write', () => {
    const live = liveInstances(
      [
        lease('node-b', '10.0.0.3', '2026-01-01T00:00:50.000000Z'),
        lease('node-a', '10.0.0.2', '2026-01-01T00:00:10.000000Z'),
        lease('node-c', '10.0.0.4', '2026-01-01T00:00:55.000000Z'),
      ],
      now,
    )
    expect(live).toEqual([
      { node: 'node-b', address: '10.0.0.3' },
      { node: 'node-c', address: '10.0.0.4' },
    ])
    expect(isStatusWriter('node-b', live)).toBe(true)
    expect(isStatusWriter('node-c', live)).toBe(false)
    expect(isStatusWriter('node-a', [])).toBe(false)
  })

  it('writes the live addresses on our Ingresses and removes ours from the others', () => {
    const live = [
      { node: 'node-b', address: '10.0.0.10' },
      { node: 'node-a', address: '10.0.0.9' },
    ]
    const ours = (i: IngressObj): boolean => i.spec?.ingressClassName === 'kubelab'
    const changes = statusChanges(
      [
        ingress('fresh', { cls: 'kubelab' }),
        ingress('current', { cls: 'kubelab', status: ['10.0.0.9', '10.0.0.10'] }),
        ingress('stale', { cls: 'kubelab', status: ['10.0.0.9', '10.0.0.77'] }),
        ingress('moved', { cls: 'nginx', status: ['10.0.0.9', '192.168.1.1', '10.0.0.5'] }),
        ingress('foreign', { cls: 'nginx', status: ['192.168.1.1'] }),
      ],
      ours,
      live,
      new Set(['10.0.0.5']),
    )
    expect(changes).toEqual([
      { namespace: 'default', name: 'fresh', ingress: [{ ip: '10.0.0.9' }, { ip: '10.0.0.10' }] },
      { namespace: 'default', name: 'stale', ingress: [{ ip: '10.0.0.9' }, { ip: '10.0.0.10' }] },
      { namespace: 'default', name: 'moved', ingress: [{ ip: '192.168.1.1' }] },
    ])
  })
})
