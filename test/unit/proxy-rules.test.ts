import { describe, expect, it } from 'vitest'
import { buildProxyRules, chainName, sepChain, servicePorts, svcChain, extChain } from '../../src-cluster/proxy'
import { IpPool } from '../../src-cluster/controllers/core/loadbalancer-ip'
import type { ServiceObj, SliceObj } from '../../src-cluster/kit/objects'

const svc = (name: string, spec: ServiceObj['spec'], status?: ServiceObj['status']): ServiceObj => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name, namespace: 'default' },
  spec,
  status,
})
const slice = (
  svcName: string,
  endpoints: { ip: string; ready?: boolean; serving?: boolean; terminating?: boolean; hostname?: string }[],
  ports: { name?: string; port: number; protocol?: string }[],
): SliceObj => ({
  apiVersion: 'discovery.k8s.io/v1',
  kind: 'EndpointSlice',
  metadata: { name: `${svcName}-x`, namespace: 'default', labels: { 'kubernetes.io/service-name': svcName } },
  addressType: 'IPv4',
  endpoints: endpoints.map((e) => ({
    addresses: [e.ip],
    hostname: e.hostname,
    conditions: { ready: e.ready, serving: e.serving, terminating: e.terminating },
  })),
  ports: ports.map((p) => ({ name: p.name, port: p.port, protocol: p.protocol ?? 'TCP' })),
})

describe('service ports and endpoints', () => {
  it('takes ready endpoints, and serving terminating ones only when none is ready', () => {
    const s = svc('web', { clusterIP: '10.96.0.20', ports: [{ name: 'http', port: 80 }] })
    const one = servicePorts(
      [s],
      [
        slice(
          'web',
          [
            { ip: '10.244.1.2', ready: true },
            { ip: '10.244.1.3', ready: false, serving: true, terminating: true },
            { ip: '10.244.1.4', ready: false },
          ],
          [{ name: 'http', port: 8080 }],
        ),
      ],
    )
    expect(one[0]!.endpoints.map((e) => e.ip)).toEqual(['10.244.1.2'])
    const draining = servicePorts(
      [s],
      [
        slice(
          'web',
          [
            { ip: '10.244.1.3', ready: false, serving: true, terminating: true },
            { ip: '10.244.1.4', ready: false, serving: false, terminating: true },
          ],
          [{ name: 'http', port: 8080 }],
        ),
      ],
    )
    expect(draining[0]!.endpoints.map((e) => `${e.ip}:${e.port}`)).toEqual(['10.244.1.3:8080'])
  })
  it('matches slice ports by name and protocol and skips ExternalName services', () => {
    const s = svc('dns', {
      clusterIP: '10.96.0.10',
      ports: [
        { name: 'dns', port: 53, protocol: 'UDP' },
        { name: 'dns-tcp', port: 53, protocol: 'TCP' },
      ],
    })
    const e = svc('ext', { type: 'ExternalName', externalName: 'example.com' })
    const ports = servicePorts(
      [s, e],
      [
        slice(
          'dns',
          [{ ip: '10.244.0.5' }],
          [
            { name: 'dns', port: 5353, protocol: 'UDP' },
            { name: 'dns-tcp', port: 5354, protocol: 'TCP' },
          ],
        ),
      ],
    )
    expect(ports.map((p) => `${p.name}/${p.protocol} -> ${p.endpoints.map((x) => x.port)}`)).toEqual([
      'default/dns:dns/UDP -> 5353',
      'default/dns:dns-tcp/TCP -> 5354',
    ])
  })
})

describe('iptables ruleset', () => {
  const web = svc('web', { type: 'NodePort', clusterIP: '10.96.0.20', ports: [{ name: 'http', port: 80, nodePort: 30080 }] })
  const eps = slice('web', [{ ip: '10.244.1.2' }, { ip: '10.244.2.2' }, { ip: '10.244.2.3' }], [{ name: 'http', port: 8080 }])

  it('jumps from KUBE-SERVICES to a KUBE-SVC chain that spreads over KUBE-SEP chains with falling probabilities', () => {
    const [p] = servicePorts([web], [eps])
    const text = buildProxyRules({ ports: [p!], clusterCIDR: '10.244.0.0/16' })
    const lines = text.split('\n')
    const svcC = svcChain(p!)
    expect(svcC).toMatch(/^KUBE-SVC-[A-Z2-7]{16}$/)
    expect(lines).toContain(`-A KUBE-SERVICES -m comment --comment "default/web:http cluster IP" -d 10.96.0.20/32 -p tcp --dport 80 -j ${svcC}`)
    expect(lines).toContain(
      `-A ${svcC} -m comment --comment "default/web:http cluster IP" ! -s 10.244.0.0/16 -d 10.96.0.20/32 -p tcp --dport 80 -j KUBE-MARK-MASQ`,
    )
    const picks = lines.filter((l) => l.startsWith(`-A ${svcC} `) && l.includes('-> '))
    expect(picks).toHaveLength(3)
    expect(picks[0]).toContain('--probability 0.3333333333')
    expect(picks[1]).toContain('--probability 0.5000000000')
    expect(picks[2]).not.toContain('statistic')
    const sep = sepChain(p!, p!.endpoints[1]!)
    expect(lines).toContain(`:${sep} - [0:0]`)
    expect(lines).toContain(`-A ${sep} -m comment --comment "default/web:http" -s 10.244.2.2/32 -j KUBE-MARK-MASQ`)
    expect(lines).toContain(`-A ${sep} -m comment --comment "default/web:http" -p tcp -j DNAT --to-destination 10.244.2.2:8080`)
    // NodePorts go through KUBE-EXT (masquerade, then the service chain); the nodeport jump is last.
    const ext = extChain(p!)
    expect(lines).toContain(`-A KUBE-NODEPORTS -m comment --comment "default/web:http" -p tcp --dport 30080 -j ${ext}`)
    expect(lines).toContain(`-A ${ext} -j ${svcC}`)
    const natRules = lines.filter((l) => l.startsWith('-A KUBE-SERVICES'))
    expect(natRules[natRules.length - 1]).toContain('-m addrtype --dst-type LOCAL -j KUBE-NODEPORTS')
    expect(lines).toContain('-A KUBE-MARK-MASQ -j MARK --or-mark 0x4000')
    expect(lines).toContain('-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE --random-fully')
  })

  it('sends returning clients to the same endpoint with ClientIP affinity', () => {
    const s = svc('sticky', {
      clusterIP: '10.96.0.30',
      sessionAffinity: 'ClientIP',
      sessionAffinityConfig: { clientIP: { timeoutSeconds: 600 } },
      ports: [{ port: 80 }],
    })
    const [p] = servicePorts([s], [slice('sticky', [{ ip: '10.244.1.2' }, { ip: '10.244.1.3' }], [{ port: 80 }])])
    const lines = buildProxyRules({ ports: [p!] }).split('\n')
    const sep0 = sepChain(p!, p!.endpoints[0]!)
    const svcLines = lines.filter((l) => l.startsWith(`-A ${svcChain(p!)} `))
    expect(svcLines[0]).toContain(`-m recent --name ${sep0} --rcheck --seconds 600 --reap -j ${sep0}`)
    expect(svcLines.findIndex((l) => l.includes('statistic'))).toBeGreaterThan(1)
    expect(lines).toContain(`-A ${sep0} -m comment --comment "default/sticky:" -m recent --name ${sep0} --set -p tcp -j DNAT --to-destination 10.244.1.2:80`)
  })

  it('rejects frontends without endpoints in filter and routes LoadBalancer IPs through KUBE-EXT', () => {
    const empty = svc('empty', { type: 'NodePort', clusterIP: '10.96.0.40', ports: [{ port: 80, nodePort: 30040 }] })
    const lb = svc(
      'lb',
      { type: 'LoadBalancer', clusterIP: '10.96.0.50', ports: [{ port: 443, nodePort: 30443 }] },
      { loadBalancer: { ingress: [{ ip: '192.168.56.240' }] } },
    )
    const ports = servicePorts([empty, lb], [slice('lb', [{ ip: '10.244.1.9' }], [{ port: 8443 }])])
    const text = buildProxyRules({ ports })
    const filter = text.slice(0, text.indexOf('*nat'))
    expect(filter).toContain('-A KUBE-SERVICES -m comment --comment "default/empty: has no endpoints" -d 10.96.0.40/32 -p tcp --dport 80 -j REJECT')
    expect(filter).toContain(
      '-A KUBE-EXTERNAL-SERVICES -m comment --comment "default/empty: has no endpoints" -m addrtype --dst-type LOCAL -p tcp --dport 30040 -j REJECT',
    )
    expect(text.slice(text.indexOf('*nat'))).not.toContain('10.96.0.40')
    const lbPort = ports.find((p) => p.service === 'lb')!
    expect(text).toContain(`-A KUBE-SERVICES -m comment --comment "default/lb: loadbalancer IP" -d 192.168.56.240/32 -p tcp --dport 443 -j ${extChain(lbPort)}`)
  })

  it('flushes and deletes per-service chains that are no longer needed, and nothing else', () => {
    const gone = chainName('KUBE-SVC', 'default/old:', 'tcp')
    const goneSep = chainName('KUBE-SEP', 'default/old:', 'tcp', '10.244.1.1:80')
    const [p] = servicePorts([web], [eps])
    const text = buildProxyRules({ ports: [p!], existingNatChains: [gone, goneSep, svcChain(p!), 'KUBE-SERVICES', 'DOCKER'] })
    expect(text).toContain(`:${gone} - [0:0]`)
    expect(text).toContain(`-X ${gone}`)
    expect(text).toContain(`-X ${goneSep}`)
    expect(text).not.toContain(`-X ${svcChain(p!)}`)
    expect(text).not.toContain('DOCKER')
    expect(text).not.toContain('-X KUBE-SERVICES')
  })

  it('is deterministic', () => {
    const a = buildProxyRules({ ports: servicePorts([web], [eps]) })
    const b = buildProxyRules({ ports: servicePorts([web], [{ ...eps, endpoints: [...eps.endpoints].reverse() }]) })
    expect(a).toBe(b)
  })
})

describe('load-balancer address pool', () => {
  it('hands out addresses lowest first, skips network and broadcast, honours claims and releases', () => {
    const pool = new IpPool('192.168.56.240/30')
    expect(pool.claim('192.168.56.242', 'default/b')).toBe(true)
    expect(pool.allocate('default/a')).toBe('192.168.56.241')
    expect(pool.allocate('default/a')).toBe('192.168.56.241')
    expect(pool.allocate('default/c')).toBeUndefined()
    expect(pool.claim('192.168.56.242', 'default/c')).toBe(false)
    expect(pool.claim('10.0.0.1', 'default/c')).toBe(false)
    pool.releaseOwner('default/b')
    expect(pool.allocate('default/c')).toBe('192.168.56.242')
  })
})
