// The multipass provider driven against test/doubles/multipass (a faithful stand-in for the
// real client: formats, exit codes, error strings, init timeouts, parallel-launch crashes).
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { MultipassProvider, toMultipassSize, vmName } from '../../src-main/providers/multipass/provider'
import { spawnRunner, type CommandRunner } from '../../src-main/providers/multipass/run'
import type { NodeRecord, ProviderContext } from '../../src-main/providers/types'

const DOUBLE = fileURLToPath(new URL('../doubles/multipass', import.meta.url))
const PUB = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHb0kubelabtestkeyAAAAAAAAAAAAAAAAAAAAAAAA kubelab-demo'

let root: string
let state: string
let logs: string[]
let clock: number
let waits: { host: string; user: string; node: string }[]

function runnerFor(dir: string): CommandRunner {
  return (bin, args, o) => spawnRunner(bin, args, { ...o, env: { MULTIPASS_DOUBLE_STATE: dir } })
}

function provider(extra: Partial<ConstructorParameters<typeof MultipassProvider>[0]> = {}) {
  return new MultipassProvider({
    bin: DOUBLE,
    runner: runnerFor(state),
    pollIntervalMs: 5000,
    now: () => clock,
    sleep: async (ms) => {
      clock += ms
    },
    key: () => ({ privateKeyFile: join(root, 'cluster', 'keys', 'id_ed25519'), publicKey: PUB }),
    cloudInitWait: async (t, o) => {
      waits.push({ host: t.host, user: t.user, node: o.node })
    },
    ...extra,
  })
}

const cp: NodeRecord = { name: 'cp', role: 'control-plane', state: 'unknown' }
const w1: NodeRecord = { name: 'w1', role: 'worker', state: 'unknown' }

function ctx(nodes: NodeRecord[] = [cp, w1]): ProviderContext {
  return {
    clusterName: 'demo',
    clusterDir: join(root, 'cluster'),
    nodes,
    ports: {},
    settings: { cpu: '2', memory: '2Gi', disk: '20Gi' },
    log: (l) => logs.push(l),
  }
}

const config = (c: Record<string, unknown>) => writeFileSync(join(state, 'config.json'), JSON.stringify(c))
const calls = (): string[][] =>
  readFileSync(join(state, 'calls.log'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => (JSON.parse(l) as { argv: string[] }).argv)

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'kl-mp-'))
  state = join(root, 'double')
  mkdirSync(state)
  mkdirSync(join(root, 'cluster', 'keys'), { recursive: true })
  writeFileSync(join(root, 'cluster', 'keys', 'id_ed25519.pub'), `${PUB}\n`)
  logs = []
  clock = 0
  waits = []
})
afterEach(() => rmSync(root, { recursive: true, force: true }))

describe('names and sizes', () => {
  it('derives valid instance names and Multipass sizes', () => {
    expect(vmName('Demo_1', 'w1')).toBe('kl-demo-1-w1')
    expect(toMultipassSize('2Gi')).toBe('2048M')
    expect(toMultipassSize('512Mi')).toBe('512M')
    expect(() => toMultipassSize('lots')).toThrow(/not understood/)
  })
})

// Every call spawns the double (a Node process); loaded CI machines need room.
describe('detect', { timeout: 60_000 }, () => {
  it('is available with a running daemon', async () => {
    expect(await provider().detect()).toEqual({ available: true, version: 'multipass 1.16.3' })
  })
  it('says to install Multipass when the program is missing', async () => {
    const d = await provider({ bin: join(root, 'no-such-multipass') }).detect()
    expect(d.available).toBe(false)
    expect(d.problem).toMatch(/not installed.*snap install multipass/)
  })
  it('says to start the daemon when multipassd is missing from version', async () => {
    config({ daemon: false, suffix: 'mac' })
    const d = await provider().detect()
    expect(d).toMatchObject({ available: false, version: 'multipass 1.16.3+mac' })
    expect(d.problem).toMatch(/multipassd.*not reachable.*launchctl/)
  })
  it('refuses versions before 1.13, and 1.14.0 on macOS 15', async () => {
    config({ version: '1.12.2' })
    expect((await provider().detect()).problem).toMatch(/1\.12\.2 is too old/)
    config({ version: '1.14.0', suffix: 'mac' })
    expect((await provider({ platform: 'darwin', darwinMajor: 24 }).detect()).problem).toMatch(/1\.14\.1/)
    expect((await provider({ platform: 'darwin', darwinMajor: 23 }).detect()).available).toBe(true)
  })
  it("refuses Multipass's VirtualBox driver (no reachable address)", async () => {
    config({ driver: 'virtualbox', suffix: 'win' })
    expect((await provider().detect()).problem).toMatch(/VirtualBox driver.*`virtualbox` provider/)
  })
})

describe('lifecycle', { timeout: 120_000 }, () => {
  it('launches one node with cloud-init for the kubelab user, records its address, and reports it', async () => {
    const p = provider()
    const c = ctx()
    const rec = await p.createNode(c, cp)
    expect(rec).toEqual({ ...cp, machine: 'kl-demo-cp', state: 'running' })
    const launch = calls().find((a) => a[0] === 'launch')!
    expect(launch).toEqual([
      'launch',
      '24.04',
      '--name',
      'kl-demo-cp',
      '--cpus',
      '2',
      '--memory',
      '2048M',
      '--disk',
      '20480M',
      '--timeout',
      '900',
      '--cloud-init',
      '-',
    ])
    const userData = readFileSync(join(state, 'kl-demo-cp.user-data'), 'utf8')
    expect(userData).toMatch(/^#cloud-config\n/)
    expect(userData).toContain('- default')
    expect(userData).toContain('name: kubelab')
    expect(userData).toContain('name: root')
    expect(userData).toContain(PUB)
    // cloud-init is waited for over SSH, as root with the cluster key, before create goes on.
    expect(waits).toEqual([{ host: '192.168.64.2', user: 'root', node: 'cp' }])
    expect(await p.address(c, rec)).toBe('192.168.64.2')
    expect(JSON.parse(readFileSync(join(c.clusterDir, 'nodes', 'cp', 'multipass.json'), 'utf8'))).toEqual({ vm: 'kl-demo-cp', address: '192.168.64.2' })
    expect(await p.sshTarget(c, rec)).toEqual({
      host: '192.168.64.2',
      port: 22,
      user: 'root',
      privateKeyFile: join(c.clusterDir, 'keys', 'id_ed25519'),
      hostKey: { file: join(c.clusterDir, 'known_hosts'), alias: rec.name },
    })
    expect(await p.list(c)).toEqual([
      { name: 'cp', state: 'running' },
      { name: 'w1', state: 'unknown' },
    ])
  })

  it('uses ipv4[0] even when the guest has more addresses (cni0, docker0)', async () => {
    config({ extraIpv4: ['10.244.0.1', '172.17.0.1'] })
    const p = provider()
    const rec = await p.createNode(ctx(), cp)
    expect(await p.address(ctx(), rec)).toBe('192.168.64.2')
  })

  it('treats "timed out waiting for initialization" as still provisioning and polls with elapsed time', async () => {
    config({ launchOutcome: 'init-timeout', bootPolls: 3 })
    const rec = await provider().createNode(ctx(), cp)
    expect(rec.state).toBe('running')
    expect(logs.some((l) => /cloud-init had not finished/.test(l))).toBe(true)
    expect(logs.filter((l) => /Starting, \d+s elapsed/.test(l)).length).toBeGreaterThanOrEqual(2)
    expect(logs.some((l) => /Running at 192\.168\.64\.2 after \d+s/.test(l))).toBe(true)
  })

  it('treats an expired --timeout (exit 5) the same way', async () => {
    config({ launchOutcome: 'launch-timeout', bootPolls: 1 })
    expect((await provider().createNode(ctx(), cp)).state).toBe('running')
  })

  it('fails with network advice when Multipass cannot reach the VM over SSH', async () => {
    config({ launchOutcome: 'ssh-timeout' })
    await expect(provider().createNode(ctx(), cp)).rejects.toThrow(/could not reach the VM over SSH.*Next: run the network checks/)
  })

  it('gives up after the wait limit, saying what state the VM is in and what to check', async () => {
    config({ launchOutcome: 'init-timeout', bootPolls: 1000 })
    await expect(provider({ waitLimitMs: 60_000 }).createNode(ctx(), cp)).rejects.toThrow(/still Starting after 1m 00s: the host may be overloaded/)
  })

  it('serializes launches: parallel createNode calls never overlap in the daemon', async () => {
    config({ launchMs: 300 })
    const c = ctx()
    // Two provider objects, as two windows of the app would have: the queue is process-wide.
    const [a, b] = await Promise.all([provider().createNode(c, cp), provider().createNode(c, w1)])
    expect([a.state, b.state]).toEqual(['running', 'running'])
    expect(calls().filter((x) => x[0] === 'launch')).toHaveLength(2)
  })

  it('the double answers overlapping launches as a crashed daemon (what serializing avoids)', async () => {
    config({ launchMs: 400 })
    const run = runnerFor(state)
    const args = (n: string) => ['launch', '24.04', '--name', n, '--cloud-init', '-']
    const [r1, r2] = await Promise.all([run(DOUBLE, args('a1'), { input: '#cloud-config\n{}\n' }), run(DOUBLE, args('a2'), { input: '#cloud-config\n{}\n' })])
    const codes = [r1.code, r2.code].sort()
    expect(codes).toEqual([0, 3])
    expect([r1.stderr, r2.stderr].join('')).toContain('cannot connect to the multipass socket')
  })

  it('reuses an existing instance and purges a deleted-but-unpurged one', async () => {
    const p = provider()
    const c = ctx()
    await p.createNode(c, cp)
    await p.createNode(c, cp)
    expect(calls().filter((x) => x[0] === 'launch')).toHaveLength(1)
    expect(logs.some((l) => /exists \(Running\), reusing it/.test(l))).toBe(true)
    await runnerFor(state)(DOUBLE, ['delete', 'kl-demo-cp'])
    await p.createNode(c, cp)
    expect(calls().some((x) => x.join(' ') === 'delete --purge kl-demo-cp')).toBe(true)
    expect(calls().filter((x) => x[0] === 'launch')).toHaveLength(2)
  })

  it('stops, starts, lists and deletes idempotently', async () => {
    const p = provider()
    const c = ctx()
    const rec = await p.createNode(c, w1)
    await p.stop(c, rec)
    await p.stop(c, rec)
    expect(await p.list(c)).toContainEqual({ name: 'w1', state: 'stopped' })
    expect(await p.address(c, rec)).toBeUndefined()
    await p.start(c, rec)
    await p.start(c, rec)
    expect(calls().filter((x) => x[0] === 'start')).toEqual([['start', 'kl-demo-w1', '--timeout', '600']])
    expect(await p.list(c)).toContainEqual({ name: 'w1', state: 'running' })
    await p.delete(c, rec)
    await p.delete(c, rec)
    expect(existsSync(join(c.clusterDir, 'nodes', 'w1', 'multipass.json'))).toBe(false)
    expect(await p.list(c)).toContainEqual({ name: 'w1', state: 'unknown' })
    await expect(p.start(c, rec)).rejects.toThrow(/no instance kl-demo-w1.*recreate the node/)
  })

  it('detects an address change after a restart and keeps it until acknowledged', async () => {
    config({ ipDriftOnStart: true })
    const p = provider()
    const c = ctx()
    const rec = await p.createNode(c, cp)
    expect(p.addressChange(c, rec)).toBeUndefined()
    await p.stop(c, rec)
    await p.start(c, rec)
    expect(p.addressChange(c, rec)).toEqual({ node: 'cp', from: '192.168.64.2', to: '192.168.64.3' })
    expect(logs.some((l) => /address changed from 192\.168\.64\.2 to 192\.168\.64\.3.*Repair/.test(l))).toBe(true)
    p.acknowledgeAddressChange(c, rec)
    expect(p.addressChange(c, rec)).toBeUndefined()
    expect((await p.sshTarget(c, rec))?.host).toBe('192.168.64.3')
  })

  it('reports every node at a new address to the cluster manager and repairs nothing itself', async () => {
    config({ ipDriftOnStart: true })
    const p = provider()
    const c = ctx()
    const a = await p.createNode(c, cp)
    const b = await p.createNode(c, w1)
    await p.stop(c, b)
    await p.stop(c, a)
    await p.start(c, a)
    expect(p.addressChanges(c)).toEqual([{ node: 'cp', from: '192.168.64.2', to: '192.168.64.4' }])
    expect(await p.address(c, b)).toBeUndefined() // start booted only its own VM
    await p.start(c, b)
    expect(p.addressChanges(c)).toEqual([
      { node: 'cp', from: '192.168.64.2', to: '192.168.64.4' },
      { node: 'w1', from: '192.168.64.3', to: '192.168.64.5' },
    ])
    // Provisioning (the manager's repair) ends by acknowledging: the changes are forgotten.
    p.acknowledgeAddressChanges(c)
    expect(p.addressChanges(c)).toEqual([])
    await p.start(c, b) // already running at its recorded new address: nothing new
    expect(p.addressChanges(c)).toEqual([])
    expect(await p.address(c, b)).toBe('192.168.64.5')
  })

  it('without drift, a restart reports no address change', async () => {
    const p = provider()
    const c = ctx()
    const a = await p.createNode(c, cp)
    await p.stop(c, a)
    await p.start(c, a)
    expect(p.addressChanges(c)).toEqual([])
    expect(await p.address(c, a)).toBe('192.168.64.2')
  })

  it('maps an injected daemon failure to its message and next step', async () => {
    writeFileSync(
      join(state, 'faults.json'),
      JSON.stringify([{ command: 'list', exit: 2, stderr: 'list failed: The client is not authenticated with the Multipass service.', times: 1 }]),
    )
    await expect(provider().list(ctx())).rejects.toThrow(/not authenticated.*multipass authenticate/)
    expect(await provider().list(ctx())).toHaveLength(2)
  })

  it('makes the cluster key on first use: the one provisioning logs in with (CLUSTER/ssh)', async () => {
    const p = provider({ key: undefined })
    const c = ctx()
    const rec = await p.createNode(c, cp)
    const pub = readFileSync(join(c.clusterDir, 'ssh', 'id_ed25519.pub'), 'utf8').trim()
    expect(pub).toMatch(/^ssh-ed25519 \S+ kubelab-demo$/)
    expect(readFileSync(join(state, 'kl-demo-cp.user-data'), 'utf8')).toContain(pub)
    expect((await p.sshTarget(c, rec))?.privateKeyFile).toBe(join(c.clusterDir, 'ssh', 'id_ed25519'))
  })
})
