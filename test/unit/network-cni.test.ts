import { describe, expect, it } from 'vitest'
import { cniConflist, desiredRoutes, podNetworkRules, CNI_CONFLIST_NAME } from '../../src-cluster/kubelet/network'

describe('CNI conflist', () => {
  it('uses bridge + host-local over the podCIDR, then portmap, without plugin masquerade', () => {
    const c = cniConflist({ podCIDR: '10.244.3.0/24', bridge: 'kubelab0', ipamDataDir: '/n1/cni' })
    expect(CNI_CONFLIST_NAME).toBe('10-kubelab.conflist')
    expect(c.plugins.map((p) => p.type)).toEqual(['bridge', 'portmap'])
    const [bridge, portmap] = c.plugins
    expect(bridge).toMatchObject({ bridge: 'kubelab0', isGateway: true, ipMasq: false, hairpinMode: true })
    expect(bridge!.ipam).toEqual({ type: 'host-local', ranges: [[{ subnet: '10.244.3.0/24' }]], routes: [{ dst: '0.0.0.0/0' }], dataDir: '/n1/cni' })
    expect(portmap).toEqual({ type: 'portmap', capabilities: { portMappings: true } })
    expect(c.cniVersion).toBe('1.0.0')
  })
})

describe('pod network iptables rules', () => {
  it('masquerades only pod traffic leaving the cluster network and accepts forwarding of the pod CIDR', () => {
    const text = podNetworkRules({ podCIDR: '10.244.1.0/24', clusterCIDR: '10.244.0.0/16' })
    const lines = text.split('\n')
    expect(lines).toContain(':KUBELAB-POSTROUTING - [0:0]')
    const ret = lines.indexOf('-A KUBELAB-POSTROUTING -d 10.244.0.0/16 -j RETURN')
    const masq = lines.findIndex((l) => l.startsWith('-A KUBELAB-POSTROUTING -s 10.244.1.0/24') && l.endsWith('-j MASQUERADE'))
    expect(ret).toBeGreaterThan(0)
    expect(masq).toBeGreaterThan(ret)
    expect(lines).toContain('-A KUBELAB-FORWARD -s 10.244.1.0/24 -j ACCEPT')
    expect(lines).toContain('-A KUBELAB-FORWARD -d 10.244.1.0/24 -j ACCEPT')
    expect(lines.filter((l) => l === 'COMMIT')).toHaveLength(2)
  })
})

describe('routes to other nodes', () => {
  const node = (name: string, ip: string | undefined, cidr: string | undefined) => ({
    metadata: { name },
    spec: cidr ? { podCIDR: cidr, podCIDRs: [cidr] } : {},
    status: {
      addresses: ip
        ? [
            { type: 'Hostname', address: name },
            { type: 'InternalIP', address: ip },
          ]
        : [],
    },
  })
  it('routes every other node podCIDR via its InternalIP, skipping itself and incomplete nodes', () => {
    const routes = desiredRoutes(
      [
        node('a', '192.168.50.2', '10.244.0.0/24'),
        node('b', '192.168.50.3', '10.244.1.0/24'),
        node('c', '192.168.50.4', '10.244.2.7/24'),
        node('d', undefined, '10.244.3.0/24'),
        node('e', '192.168.50.6', undefined),
      ],
      { podCIDR: '10.244.0.0/24', nodeIP: '192.168.50.2' },
    )
    expect(routes).toEqual([
      { dst: '10.244.1.0/24', via: '192.168.50.3', node: 'b' },
      { dst: '10.244.2.0/24', via: '192.168.50.4', node: 'c' },
    ])
  })
})
