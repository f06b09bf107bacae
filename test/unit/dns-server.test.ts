import dgram from 'node:dgram'
import net from 'node:net'
import * as dnsPacket from 'dns-packet'
import type { DecodedPacket, RecordType } from 'dns-packet'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DnsIndex, startDnsServer, podDnsConfig, type DnsServer } from '../../src-cluster/dns'
import type { ServiceObj, SliceObj } from '../../src-cluster/kit/objects'

const svc = (ns: string, name: string, spec: ServiceObj['spec']): ServiceObj => ({ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: ns }, spec })
const slice = (
  ns: string,
  svcName: string,
  eps: { ip: string; hostname?: string; ready?: boolean }[],
  ports: { name?: string; port: number; protocol?: string }[],
): SliceObj => ({
  apiVersion: 'discovery.k8s.io/v1',
  kind: 'EndpointSlice',
  metadata: { name: `${svcName}-abc`, namespace: ns, labels: { 'kubernetes.io/service-name': svcName } },
  addressType: 'IPv4',
  endpoints: eps.map((e) => ({ addresses: [e.ip], hostname: e.hostname, conditions: { ready: e.ready ?? true } })),
  ports: ports.map((p) => ({ name: p.name, port: p.port, protocol: p.protocol ?? 'TCP' })),
})

const services = [
  svc('default', 'server', { clusterIP: '10.96.0.20', ports: [{ name: 'http', port: 80, protocol: 'TCP' }] }),
  svc('db', 'pg', { clusterIP: 'None', ports: [{ name: 'pg', port: 5432, protocol: 'TCP' }] }),
  svc('default', 'ext', { type: 'ExternalName', externalName: 'example.org' }),
]
const slices = [
  slice('default', 'server', [{ ip: '10.244.1.5' }], [{ name: 'http', port: 8080 }]),
  slice(
    'db',
    'pg',
    [
      { ip: '10.244.1.7', hostname: 'pg-0' },
      { ip: '10.244.2.8', hostname: 'pg-1' },
      { ip: '10.244.2.9', hostname: 'pg-2', ready: false },
    ],
    [{ name: 'pg', port: 5432 }],
  ),
]

let server: DnsServer
let deadServer: DnsServer
let upstream: dgram.Socket
let upstreamSeen: string[] = []

type Decoded = DecodedPacket & { rcode?: string }

function ask(port: number, name: string, type: RecordType): Promise<Decoded> {
  return new Promise((resolve, reject) => {
    const s = dgram.createSocket('udp4')
    s.on('message', (m) => {
      s.close()
      resolve(dnsPacket.decode(m))
    })
    s.on('error', reject)
    s.send(dnsPacket.encode({ type: 'query', id: 4242, flags: dnsPacket.RECURSION_DESIRED, questions: [{ name, type, class: 'IN' }] }), port, '127.0.0.1')
  })
}

function askTcp(port: number, name: string, type: RecordType): Promise<Decoded> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1')
    let buf = Buffer.alloc(0)
    s.on('connect', () => {
      const q = dnsPacket.encode({ type: 'query', id: 7, questions: [{ name, type, class: 'IN' }] })
      const h = Buffer.alloc(2)
      h.writeUInt16BE(q.length)
      s.write(Buffer.concat([h, q]))
    })
    s.on('data', (c: Buffer) => {
      buf = Buffer.concat([buf, c])
      if (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        s.destroy()
        resolve(dnsPacket.decode(buf.subarray(2)))
      }
    })
    s.on('error', reject)
  })
}

const data = (p: DecodedPacket): unknown[] => (p.answers ?? []).map((a) => ('data' in a ? a.data : undefined))

beforeAll(async () => {
  // A fake upstream resolver answering every A question with 192.0.2.1.
  upstream = dgram.createSocket('udp4')
  upstream.on('message', (m, r) => {
    const q = dnsPacket.decode(m)
    upstreamSeen.push(q.questions![0]!.name)
    upstream.send(
      dnsPacket.encode({
        type: 'response',
        id: q.id,
        flags: dnsPacket.RECURSION_AVAILABLE,
        questions: q.questions,
        answers: [{ name: q.questions![0]!.name, type: 'A', ttl: 60, data: '192.0.2.1' }],
      }),
      r.port,
      r.address,
    )
  })
  await new Promise<void>((r) => upstream.bind(0, '127.0.0.1', () => r()))
  const index = new DnsIndex(services, slices)
  server = await startDnsServer({ host: '127.0.0.1', port: 0, upstream: `127.0.0.1:${upstream.address().port}`, data: () => index })
  // Upstream that never answers: a bound socket that ignores everything.
  const silent = dgram.createSocket('udp4')
  await new Promise<void>((r) => silent.bind(0, '127.0.0.1', () => r()))
  deadServer = await startDnsServer({ host: '127.0.0.1', port: 0, upstream: `127.0.0.1:${silent.address().port}`, upstreamTimeoutMs: 300, data: () => index })
  deadServer.close = ((orig) => async () => {
    silent.close()
    await orig()
  })(deadServer.close)
})

afterAll(async () => {
  await server?.close()
  await deadServer?.close()
  upstream?.close()
})

describe('cluster DNS over UDP', () => {
  it('answers a service name with its cluster IP, authoritatively, TTL 5', async () => {
    const r = await ask(server.port, 'server.default.svc.cluster.local', 'A')
    expect(r.id).toBe(4242)
    expect(r.rcode).toBe('NOERROR')
    expect(r.flag_aa).toBe(true)
    expect(r.answers).toEqual([expect.objectContaining({ name: 'server.default.svc.cluster.local', type: 'A', ttl: 5, data: '10.96.0.20' })])
  })
  it('answers a headless service with its ready endpoints and a StatefulSet hostname with its pod', async () => {
    const r = await ask(server.port, 'pg.db.svc.cluster.local', 'A')
    expect((data(r) as string[]).sort()).toEqual(['10.244.1.7', '10.244.2.8'])
    const one = await ask(server.port, 'pg-1.pg.db.svc.cluster.local', 'A')
    expect(data(one)).toEqual(['10.244.2.8'])
    const notReady = await ask(server.port, 'pg-2.pg.db.svc.cluster.local', 'A')
    expect(notReady.rcode).toBe('NXDOMAIN')
  })
  it('serves SRV for named ports: the service name for cluster IPs, each endpoint for headless', async () => {
    const r = await ask(server.port, '_http._tcp.server.default.svc.cluster.local', 'SRV')
    expect(data(r)).toEqual([expect.objectContaining({ port: 80, target: 'server.default.svc.cluster.local' })])
    expect(r.additionals).toEqual([expect.objectContaining({ type: 'A', data: '10.96.0.20' })])
    const h = await ask(server.port, '_pg._tcp.pg.db.svc.cluster.local', 'SRV')
    expect((data(h) as { target: string; port: number }[]).map((d) => `${d.target}:${d.port}`).sort()).toEqual([
      'pg-0.pg.db.svc.cluster.local:5432',
      'pg-1.pg.db.svc.cluster.local:5432',
    ])
  })
  it('answers pod names, PTR for service IPs, CNAME for ExternalName', async () => {
    expect(data(await ask(server.port, '10-244-1-5.default.pod.cluster.local', 'A'))).toEqual(['10.244.1.5'])
    expect(data(await ask(server.port, '20.0.96.10.in-addr.arpa', 'PTR'))).toEqual(['server.default.svc.cluster.local'])
    const c = await ask(server.port, 'ext.default.svc.cluster.local', 'A')
    expect(c.answers?.[0]).toMatchObject({ type: 'CNAME', data: 'example.org' })
  })
  it('says NXDOMAIN (with the SOA) for unknown cluster names and NODATA for other types of known ones', async () => {
    const nx = await ask(server.port, 'nope.default.svc.cluster.local', 'A')
    expect(nx.rcode).toBe('NXDOMAIN')
    expect(nx.authorities?.[0]).toMatchObject({ type: 'SOA', name: 'cluster.local', ttl: 30 })
    const aaaa = await ask(server.port, 'server.default.svc.cluster.local', 'AAAA')
    expect(aaaa.rcode).toBe('NOERROR')
    expect(aaaa.answers).toEqual([])
    expect((await ask(server.port, 'x.y.z.cluster.local', 'A')).rcode).toBe('NXDOMAIN')
    expect(upstreamSeen).toEqual([])
  })
  it('forwards other names upstream and answers SERVFAIL when the upstream is silent', async () => {
    const r = await ask(server.port, 'www.example.com', 'A')
    expect(data(r)).toEqual(['192.0.2.1'])
    expect(r.id).toBe(4242)
    expect(upstreamSeen).toEqual(['www.example.com'])
    const f = await ask(deadServer.port, 'www.example.com', 'A')
    expect(f.rcode).toBe('SERVFAIL')
    expect(f.id).toBe(4242)
  })
})

describe('cluster DNS over TCP', () => {
  it('answers the same on the same port', async () => {
    const r = await askTcp(server.port, 'server.default.svc.cluster.local', 'A')
    expect(r.id).toBe(7)
    expect(data(r)).toEqual(['10.96.0.20'])
  })
})

describe('pod DNS configuration', () => {
  it('gives ClusterFirst pods the cluster DNS, the search path and ndots:5', () => {
    expect(podDnsConfig({ namespace: 'shop' }, { clusterDNS: '10.96.0.10', clusterDomain: 'cluster.local' })).toEqual({
      servers: ['10.96.0.10'],
      searches: ['shop.svc.cluster.local', 'svc.cluster.local', 'cluster.local'],
      options: ['ndots:5'],
    })
    expect(podDnsConfig({ namespace: 'x', dnsPolicy: 'Default' }, { clusterDNS: '10.96.0.10', clusterDomain: 'cluster.local' })).toBeUndefined()
    expect(
      podDnsConfig({ namespace: 'x', dnsConfig: { options: [{ name: 'ndots', value: '2' }] } }, { clusterDNS: '10.96.0.10', clusterDomain: 'cluster.local' })
        ?.options,
    ).toEqual(['ndots:2'])
  })
})
