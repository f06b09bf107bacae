// The wizard's preflight request (clusters.preflight → runPreflight) for VM providers: the
// hypervisor detection, RAM with a host reserve, CPU overcommit, disk, address ranges and the
// size preset for this machine, from host facts given as numbers.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { runPreflight, type HostFacts } from '../../src-main/clusters/ops/preflight'
import type { VmHostFacts } from '../../src-main/providers/preflight/host'

const GiB = 2 ** 30
let home: string
beforeEach(async () => {
  home = await mkdtemp(join(tmpdir(), 'kl-vmpf-'))
})
afterEach(async () => {
  await rm(home, { recursive: true, force: true })
})

const laptop = (o: Partial<VmHostFacts> = {}): VmHostFacts => ({
  platform: 'linux',
  darwinMajor: 0,
  totalMemory: 16 * GiB,
  freeMemory: 12 * GiB,
  cpuCount: 8,
  freeDisk: 200 * GiB,
  interfaces: [{ name: 'wlan0', cidr: '192.168.1.20/24' }],
  routes: [{ destination: '192.168.1.0/24', iface: 'wlan0' }],
  ...o,
})

function host(vm: VmHostFacts | Error, detect: HostFacts['detect'] = async () => ({ available: true, version: 'multipass 1.16.3' })): HostFacts {
  return {
    freeMemory: () => (vm instanceof Error ? GiB : vm.freeMemory),
    cpuCount: () => 8,
    freeDisk: async () => 200 * GiB,
    which: (p) => `/usr/bin/${p}`,
    detect,
    vmHost: async () => {
      if (vm instanceof Error) throw vm
      return vm
    },
  }
}

const params = { name: 'mp8', provider: 'multipass', workers: 2, cpu: '2', memory: '2Gi' }

describe('preflight for VM providers', () => {
  it('passes on a 16 GB laptop and names the preset that fits', async () => {
    const r = await runPreflight(params, home, host(laptop()))
    expect(r.ok).toBe(true)
    const ids = r.checks.map((c) => c.id)
    expect(ids.slice(0, 2)).toEqual(['name', 'provider'])
    expect(ids).toEqual(expect.arrayContaining(['vm-memory', 'vm-cpu', 'vm-preset', 'kubectl']))
    expect(ids).not.toContain('memory') // the generic hollow-node check is replaced
    expect(r.preset).toMatchObject({ id: 'standard', workers: 2, memory: '2Gi' })
    expect(r.checks.find((c) => c.id === 'vm-preset')).toMatchObject({ status: 'pass' })
  })

  it('fails when the daemon is unreachable, saying what to do', async () => {
    const r = await runPreflight(
      params,
      home,
      host(laptop(), async () => ({ available: false, version: 'multipass 1.16.3', problem: 'the Multipass daemon (multipassd) is not reachable: start it' })),
    )
    expect(r.ok).toBe(false)
    expect(r.checks.find((c) => c.id === 'provider')).toMatchObject({ status: 'fail', detail: expect.stringContaining('multipassd') })
  })

  it('fails on an 8 GB laptop asked for three 2 GiB VMs, and points at the small preset', async () => {
    const r = await runPreflight(params, home, host(laptop({ totalMemory: 8 * GiB, freeMemory: 5 * GiB })))
    expect(r.ok).toBe(false)
    const mem = r.checks.find((c) => c.id === 'vm-memory')!
    expect(mem.status).toBe('fail')
    expect(mem.detail).toContain('small')
    expect(r.preset?.id).toBe('small')
    expect(r.checks.find((c) => c.id === 'vm-preset')).toMatchObject({ status: 'warn' })
  })

  it('checks the VirtualBox host-only range against the host routes', async () => {
    const r = await runPreflight(
      { ...params, provider: 'virtualbox' },
      home,
      host(laptop({ interfaces: [{ name: 'tun0', cidr: '192.168.56.7/24' }], routes: [{ destination: '192.168.56.0/24', iface: 'tun0' }] })),
    )
    const conflict = r.checks.find((c) => /192\.168\.56/.test(c.detail) && c.status !== 'pass')
    expect(conflict).toBeDefined()
  })

  it('falls back to a warning when host facts cannot be read', async () => {
    const r = await runPreflight(params, home, host(new Error('ip: not found')))
    expect(r.checks.find((c) => c.id === 'vm-host')).toMatchObject({ status: 'warn', detail: expect.stringContaining('ip: not found') })
  })
})
