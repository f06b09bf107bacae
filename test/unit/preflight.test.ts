// VM preflight: resources vs requested nodes, presets, hypervisor, address conflicts (routes
// parsed from real `ip -4 route` / `netstat -rn` output), macOS Local Network.
import { describe, expect, it } from 'vitest'
import { overlaps, parseCidr, maskBits } from '../../src-main/providers/preflight/cidr'
import {
  checkAddressConflicts,
  checkLocalNetworkPermission,
  checkResources,
  checkVmSubnetRoute,
  plannedRanges,
  runVmPreflight,
} from '../../src-main/providers/preflight/checks'
import { parseIpRoute, parseNetstatRoutes, type VmHostFacts } from '../../src-main/providers/preflight/host'
import { presetFor, presetNodes } from '../../src-main/providers/preflight/presets'

const GiB = 2 ** 30
const host = (o: Partial<VmHostFacts> = {}): VmHostFacts => ({
  platform: 'linux',
  darwinMajor: 0,
  totalMemory: 16 * GiB,
  freeMemory: 12 * GiB,
  cpuCount: 8,
  freeDisk: 200 * GiB,
  interfaces: [{ name: 'wlan0', cidr: '192.168.1.23/24' }],
  routes: [
    { destination: '0.0.0.0/0', iface: 'wlan0' },
    { destination: '192.168.1.0/24', iface: 'wlan0' },
  ],
  ...o,
})

describe('cidr', () => {
  it('overlap and masks', () => {
    expect(overlaps(parseCidr('10.0.0.0/8'), parseCidr('10.244.0.0/16'))).toBe(true)
    expect(overlaps(parseCidr('10.96.0.0/12'), parseCidr('10.112.0.0/16'))).toBe(false)
    expect(maskBits('255.255.252.0')).toBe(22)
    expect(() => parseCidr('10.0.0.0/33')).toThrow(/not a CIDR/)
  })
})

describe('presets', () => {
  it('fit 8 and 16 GB laptops (which report a bit less than their label)', () => {
    const small = presetFor(7.7 * GiB)
    expect(small.id).toBe('small')
    expect(presetNodes(small).map((n) => n.memory)).toEqual(['2Gi', '1Gi'])
    const std = presetFor(15.5 * GiB)
    expect(std.id).toBe('standard')
    expect(presetNodes(std).map((n) => n.memory)).toEqual(['2Gi', '2Gi', '2Gi'])
    expect(presetFor(4 * GiB).id).toBe('tiny')
    expect(presetFor(64 * GiB).id).toBe('large')
  })
  it('each preset passes the memory check on its own laptop with typical free memory', () => {
    expect(checkResources(host({ totalMemory: 8 * GiB, freeMemory: 5.5 * GiB, cpuCount: 4 }), presetNodes(presetFor(8 * GiB)))[0]!.status).toBe('pass')
    expect(checkResources(host({ totalMemory: 16 * GiB, freeMemory: 9 * GiB }), presetNodes(presetFor(16 * GiB)))[0]!.status).toBe('pass')
  })
})

describe('resources', () => {
  it('fails memory with a preset suggestion, warns on CPU overcommit, fails disk', () => {
    const nodes = Array.from({ length: 4 }, () => ({ cpus: 4, memory: '2Gi', disk: '60Gi' }))
    const [mem, cpu, disk] = checkResources(host({ totalMemory: 8 * GiB, freeMemory: 6 * GiB, cpuCount: 12, freeDisk: 100 * GiB }), nodes)
    expect(mem).toMatchObject({ status: 'fail' })
    expect(mem!.detail).toMatch(/need 8\.0 GiB plus 2\.0 GiB.*"small" preset/)
    expect(cpu).toMatchObject({ status: 'warn' })
    expect(disk!.status).toBe('fail')
    expect(disk!.detail).toMatch(/free space or choose smaller disks/)
    expect(checkResources(host({ cpuCount: 2 }), nodes)[1]!.status).toBe('fail')
  })
})

describe('routes', () => {
  it('parses ip -4 route', () => {
    const r = parseIpRoute(
      'default via 192.168.1.1 dev wlan0 proto dhcp src 192.168.1.23 metric 600\n10.8.0.0/16 dev tun0 proto kernel scope link src 10.8.0.2\n172.17.0.0/16 dev docker0 proto kernel scope link src 172.17.0.1 linkdown\n192.168.56.0/24 dev vboxnet0 proto kernel scope link src 192.168.56.1\n',
    )
    expect(r).toEqual([
      { destination: '0.0.0.0/0', iface: 'wlan0' },
      { destination: '10.8.0.0/16', iface: 'tun0' },
      { destination: '172.17.0.0/16', iface: 'docker0' },
      { destination: '192.168.56.0/24', iface: 'vboxnet0' },
    ])
  })
  it('parses macOS netstat -rn -f inet with abbreviated destinations', () => {
    const r = parseNetstatRoutes(
      'Routing tables\n\nInternet:\nDestination        Gateway            Flags               Netif Expire\ndefault            192.168.1.1        UGScg                 en0\n10/8               utun4              USc                 utun4\n127                127.0.0.1          UCS                   lo0\n192.168.64         link#24            UC               bridge100      !\n192.168.64.5       52:54:0:aa:bb:cc   UHLWIi         bridge100   1195\n',
    )
    expect(r).toEqual([
      { destination: '0.0.0.0/0', iface: 'en0' },
      { destination: '10.0.0.0/8', iface: 'utun4' },
      { destination: '127.0.0.0/8', iface: 'lo0' },
      { destination: '192.168.64.0/24', iface: 'bridge100' },
      { destination: '192.168.64.5/32', iface: 'bridge100' },
    ])
  })
})

describe('address conflicts', () => {
  it('passes on a plain home network', () => {
    expect(checkAddressConflicts(host(), plannedRanges('virtualbox')).every((c) => c.status === 'pass')).toBe(true)
  })
  it('names a VPN claiming 10.0.0.0/8 and says what to do', () => {
    const checks = checkAddressConflicts(host({ routes: [{ destination: '10.0.0.0/8', iface: 'utun4' }] }), plannedRanges('multipass'))
    expect(checks.map((c) => c.status)).toEqual(['fail', 'fail'])
    expect(checks[0]!.detail).toMatch(
      /10\.244\.0\.0\/16 overlaps route 10\.0\.0\.0\/8 via utun4: a VPN claims it; disconnect the VPN or enable its "allow local network"/,
    )
  })
  it("flags another network on the host-only range, but not the cluster's own adapter", () => {
    const h = host({
      interfaces: [
        { name: 'vboxnet0', cidr: '192.168.56.1/24' },
        { name: 'eth1', cidr: '192.168.56.40/24' },
      ],
    })
    const [, , hostOnly] = checkAddressConflicts(h, plannedRanges('virtualbox'), ['vboxnet0'])
    expect(hostOnly!.status).toBe('fail')
    expect(hostOnly!.detail).toMatch(/eth1 has 192\.168\.56\.40\/24: choose another range/)
    expect(
      checkAddressConflicts(host({ interfaces: [{ name: 'vboxnet0', cidr: '192.168.56.1/24' }] }), plannedRanges('virtualbox'), ['vboxnet0'])[2]!.status,
    ).toBe('pass')
  })
  it('on macOS, a VPN route over the Multipass VM network fails', () => {
    const mac = host({ platform: 'darwin', darwinMajor: 24, routes: [{ destination: '192.168.64.0/18', iface: 'utun3' }] })
    expect(checkVmSubnetRoute(mac, 'multipass')!.status).toBe('fail')
    expect(checkVmSubnetRoute(host(), 'multipass')).toBeUndefined()
  })
})

describe('macOS Local Network permission', () => {
  it('warns before the first connection, fails on No route to host, passes when reachable', () => {
    const mac = host({ platform: 'darwin', darwinMajor: 24 })
    expect(checkLocalNetworkPermission(mac, 'multipass')!.status).toBe('warn')
    expect(checkLocalNetworkPermission(mac, 'multipass', false)!.detail).toMatch(/Privacy & Security → Local Network/)
    expect(checkLocalNetworkPermission(mac, 'multipass', true)!.status).toBe('pass')
    expect(checkLocalNetworkPermission(host({ platform: 'darwin', darwinMajor: 23 }), 'multipass')).toBeUndefined()
    expect(checkLocalNetworkPermission(host(), 'multipass')).toBeUndefined()
  })
})

describe('runVmPreflight', () => {
  it('combines checks; a missing hypervisor fails with its own advice', () => {
    const r = runVmPreflight({
      provider: 'multipass',
      nodes: presetNodes(presetFor(16 * GiB)),
      detect: { available: false, problem: 'Multipass is not installed: get it' },
      host: host(),
    })
    expect(r.ok).toBe(false)
    expect(r.checks[0]).toEqual({ id: 'hypervisor', title: 'Hypervisor (multipass)', status: 'fail', detail: 'Multipass is not installed: get it' })
    const good = runVmPreflight({
      provider: 'virtualbox',
      nodes: presetNodes(presetFor(16 * GiB)),
      detect: { available: true, version: 'VirtualBox 7.2.4' },
      host: host(),
    })
    expect(good.ok).toBe(true)
    expect(good.checks.map((c) => c.id)).toEqual([
      'hypervisor',
      'vm-memory',
      'vm-cpu',
      'vm-disk',
      'range-pods',
      'range-services',
      'range-VirtualBox host-only network',
    ])
  })
})
