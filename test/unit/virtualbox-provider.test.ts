// The virtualbox provider driven against test/doubles/VBoxManage.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { spawnRunner, type CommandRunner } from '../../src-main/providers/multipass/run'
import type { NodeRecord, ProviderContext } from '../../src-main/providers/types'
import { VirtualBoxProvider, toMegabytes } from '../../src-main/providers/virtualbox/provider'

const DOUBLE = fileURLToPath(new URL('../doubles/VBoxManage', import.meta.url))
const PUB = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHb0kubelabtestkeyAAAAAAAAAAAAAAAAAAAAAAAA kubelab-demo'

let root: string
let state: string
let logs: string[]
let clock: number
let waits: string[]
const envSeen: Record<string, string>[] = []

function runner(): CommandRunner {
  return (bin, args, o) => {
    envSeen.push({ ...(o?.env ?? {}) })
    return spawnRunner(bin, args, { ...o, env: { ...o?.env, VBOXMANAGE_DOUBLE_STATE: state } })
  }
}

function provider(extra: Partial<ConstructorParameters<typeof VirtualBoxProvider>[0]> = {}) {
  return new VirtualBoxProvider({
    bin: DOUBLE,
    runner: runner(),
    now: () => clock,
    sleep: async (ms) => {
      clock += ms
    },
    freePort: async () => 22012,
    key: () => ({ privateKeyFile: join(root, 'cluster', 'keys', 'id_ed25519'), publicKey: PUB }),
    cloudInitWait: async (t, o) => {
      waits.push(`${o.node} ${t.user}@${t.host}:${t.port}`)
    },
    ...extra,
  })
}

const cp: NodeRecord = { name: 'cp', role: 'control-plane', state: 'unknown' }
const w1: NodeRecord = { name: 'w1', role: 'worker', state: 'unknown' }

function ctx(): ProviderContext {
  return {
    clusterName: 'demo',
    clusterDir: join(root, 'cluster'),
    nodes: [cp, w1],
    ports: {},
    settings: { cpu: '2', memory: '2Gi', disk: '20Gi', vboxBaseImage: join(root, 'noble-amd64.vdi') },
    log: (l) => logs.push(l),
  }
}

const config = (c: Record<string, unknown>) => writeFileSync(join(state, 'config.json'), JSON.stringify(c))
const calls = (): string[][] =>
  readFileSync(join(state, 'calls.log'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { argv?: string[] })
    .filter((c) => c.argv && !('warning' in c))
    .map((c) => c.argv!)

beforeEach(() => {
  waits = []
  root = mkdtempSync(join(tmpdir(), 'kl-vb-'))
  state = join(root, 'double')
  mkdirSync(state)
  mkdirSync(join(root, 'cluster', 'keys'), { recursive: true })
  writeFileSync(join(root, 'cluster', 'keys', 'id_ed25519.pub'), `${PUB}\n`)
  writeFileSync(join(root, 'noble-amd64.vdi'), 'fake disk')
  logs = []
  clock = 0
  envSeen.length = 0
})
afterEach(() => rmSync(root, { recursive: true, force: true }))

describe('detect', { timeout: 60_000 }, () => {
  it('reports the version, a missing program, and a missing kernel module', async () => {
    expect(await provider().detect()).toEqual({ available: true, version: 'VirtualBox 7.1.6r167084' })
    expect((await provider({ bin: join(root, 'nope') }).detect()).problem).toMatch(/not installed/)
    config({ kernelModuleMissing: true })
    expect((await provider().detect()).problem).toMatch(/kernel module is not loaded.*vboxconfig/)
    config({ version: '6.0.24r139119' })
    expect((await provider().detect()).problem).toMatch(/too old/)
  })
})

describe('lifecycle', { timeout: 180_000 }, () => {
  it('creates a node with the unattended recipe, LANG=C on every call', async () => {
    const p = provider()
    const c = ctx()
    const rec = await p.createNode(c, w1)
    expect(rec).toEqual({ ...w1, machine: 'kl-demo-w1', state: 'running' })
    const dir = join(c.clusterDir, 'nodes', 'w1')
    const argv = calls()
    expect(argv.map((a) => a[0])).toEqual([
      'showvminfo',
      'clonemedium',
      'modifymedium',
      'createvm',
      'list',
      'hostonlyif',
      'hostonlyif',
      'modifyvm',
      'storagectl',
      'storageattach',
      'storageattach',
      'startvm',
    ])
    // No host-only adapter had the cluster's host address yet: one is made and given <subnet>.1.
    expect(argv.filter((a) => a[0] === 'hostonlyif')).toEqual([
      ['hostonlyif', 'create'],
      ['hostonlyif', 'ipconfig', 'vboxnet0', '--ip', '192.168.56.1', '--netmask', '255.255.255.0'],
    ])
    const modify = argv.find((a) => a[0] === 'modifyvm')!.join(' ')
    expect(modify).toContain(`--uart1 0x3F8 4 --uartmode1 file ${join(dir, 'console.log')}`)
    expect(modify).toContain('--nic1 nat')
    expect(modify).toContain('--natpf1 ssh,tcp,127.0.0.1,22012,,22')
    expect(modify).toContain('--nic2 hostonly --hostonlyadapter2 vboxnet0')
    expect(modify).toContain('--memory 2048')
    expect(argv.find((a) => a[0] === 'modifymedium')).toContain('20480')
    expect(envSeen.every((e) => e.LANG === 'C' && e.LC_ALL === 'C')).toBe(true)
    // The seed ISO is on the DVD drive and carries the static address for lab0.
    const iso = readFileSync(join(dir, 'seed.iso'))
    expect(iso.subarray(32769, 32774).toString('latin1')).toBe('CD001')
    expect(iso.toString('latin1')).toContain('addresses:\n      - 192.168.56.11/24')
    expect(iso.toString('latin1')).toContain(PUB)
    expect(await p.address(c, rec)).toBe('192.168.56.11')
    expect(waits).toEqual(['w1 root@127.0.0.1:22012'])
    expect(await p.sshTarget(c, rec)).toEqual({
      host: '127.0.0.1',
      port: 22012,
      user: 'root',
      privateKeyFile: join(c.clusterDir, 'keys', 'id_ed25519'),
      hostKey: { file: join(c.clusterDir, 'known_hosts'), alias: rec.name },
    })
    expect(await p.list(c)).toEqual([
      { name: 'cp', state: 'unknown' },
      { name: 'w1', state: 'running' },
    ])
  })

  it('treats startvm exiting 1 after "successfully started" as success', async () => {
    config({ startvmExitsOne: true })
    expect((await provider().createNode(ctx(), cp)).state).toBe('running')
  })

  it('fails with the macOS host-only advice when legacy adapters are refused', async () => {
    config({ hostOnlyAdaptersUnsupported: true })
    await expect(provider().createNode(ctx(), cp)).rejects.toThrow(/no host-only adapters.*hostonlynet add/)
  })

  it('says how to get the base image when it is missing', async () => {
    rmSync(join(root, 'noble-amd64.vdi'))
    await expect(provider().createNode(ctx(), cp)).rejects.toThrow(/noble-amd64\.vdi is missing.*qemu-img convert/)
  })

  it('stops with ACPI, and powers off when the guest ignores it', async () => {
    const p = provider({ acpiWaitMs: 20_000, pollIntervalMs: 10_000 })
    const c = ctx()
    const rec = await p.createNode(c, cp)
    await p.stop(c, rec)
    expect(await p.list(c)).toContainEqual({ name: 'cp', state: 'stopped' })
    expect(calls().some((a) => a.join(' ') === 'controlvm kl-demo-cp poweroff')).toBe(false)
    await p.stop(c, rec) // idempotent
    config({ acpiPolls: -1 })
    await p.start(c, rec)
    await p.start(c, rec) // idempotent
    await p.stop(c, rec)
    expect(calls().some((a) => a.join(' ') === 'controlvm kl-demo-cp poweroff')).toBe(true)
    expect(logs.some((l) => /no clean shutdown after 20s; powering off/.test(l))).toBe(true)
  })

  it('retries a locked session and deletes idempotently, removing its files', async () => {
    const p = provider()
    const c = ctx()
    const rec = await p.createNode(c, cp)
    const locked = "VBoxManage: error: The machine 'kl-demo-cp' is already locked by a session (or being locked or unlocked)"
    writeFileSync(join(state, 'faults.json'), JSON.stringify([{ command: 'showvminfo', exit: 1, stderr: locked, times: 2 }]))
    await p.delete(c, rec)
    expect(calls().filter((a) => a[0] === 'showvminfo').length).toBeGreaterThanOrEqual(4)
    await p.delete(c, rec)
    expect(existsSync(join(c.clusterDir, 'nodes', 'cp', 'seed.iso'))).toBe(false)
    expect(existsSync(join(c.clusterDir, 'nodes', 'cp', 'virtualbox.json'))).toBe(false)
    expect(await p.list(c)).toContainEqual({ name: 'cp', state: 'unknown' })
    await expect(p.start(c, rec)).rejects.toThrow(/no VM kl-demo-cp.*recreate the node/)
  })

  it('treats "VBoxManage: error:" with exit 0 as failure', async () => {
    writeFileSync(
      join(state, 'faults.json'),
      JSON.stringify([{ command: 'list', exit: 0, stderr: 'VBoxManage: error: Code E_FAIL (0x80004005) - unexpected', times: 1 }]),
    )
    await expect(provider().list(ctx())).rejects.toThrow(/VBoxManage list: VBoxManage failed: Code E_FAIL/)
  })

  it('reuses a node it created', async () => {
    const p = provider()
    const c = ctx()
    await p.createNode(c, cp)
    await p.createNode(c, cp)
    expect(calls().filter((a) => a[0] === 'createvm')).toHaveLength(1)
    expect(toMegabytes('1Gi')).toBe(1024)
  })
})
