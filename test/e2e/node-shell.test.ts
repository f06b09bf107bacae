// "Shell on node" end to end against a real OpenSSH sshd (root only): our own sshd on
// 127.0.0.1:<free port> with its own host key, config and an authorized key, driven through the
// terminal service as the desktop app drives it (state events, output, resize, exit code,
// reopening after close), plus the error values for unreachable nodes, a wrong key and
// providers without SSH.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { connect, createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { until as poll } from '../helpers/wait'
import { createBackend } from '../../src-main/backend'
import { writeRecord } from '../../src-main/clusters/state'
import { TerminalService } from '../../src-main/backend/terminals/service'
import { ClusterManager } from '../../src-main/clusters'
import type { EventMessage, TerminalOutput, TerminalStateChange } from '../../src-main/contract'
import { SSHD, sshdConfig } from '../../src-main/providers/local/sshd'
import type { SshTarget } from '../../src-main/providers/types'
import { generateParseableKey } from '../../src-main/ssh-provisioning/keys'
import { forgetHostKey, hostKeyPin, type HostKeyPin } from '../../src-main/ssh-provisioning/host-keys'
import { loginFor, SshSession } from '../../src-main/ssh-provisioning/ssh'

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0
if (!isRoot) console.error('\n!!! test/e2e/node-shell.test.ts SKIPPED: it starts a real sshd, which needs root\n')

const dir = mkdtempSync(join(tmpdir(), 'kubelab-node-shell-'))
let sshd: ChildProcess | undefined
let port = 0
let target: SshTarget
let badKeyFile = ''
let hostPublic = ''
let changedPin: HostKeyPin
const events: EventMessage[] = []
let terms: TerminalService

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer()
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port
      s.close(() => resolve(p))
    })
  })
}

/** Polls the terminal events every 25 ms (15 s at most); a timeout names the last ones. */
const until = <T>(what: string, fn: () => T | undefined | false): Promise<T> =>
  poll(what, fn, { timeoutMs: 15_000, intervalMs: 25, context: () => `events: ${JSON.stringify(events.slice(-10))}` }) as Promise<T>

const output = (id: string): string =>
  events
    .filter((e): e is { name: 'terminals.output'; payload: TerminalOutput } => e.name === 'terminals.output' && e.payload.id === id)
    .map((e) => e.payload.data)
    .join('')
const states = (id: string): TerminalStateChange[] =>
  events
    .filter((e): e is { name: 'terminals.state'; payload: TerminalStateChange } => e.name === 'terminals.state' && e.payload.id === id)
    .map((e) => e.payload)

beforeAll(async () => {
  if (!isRoot) return
  const keys = join(dir, 'keys')
  mkdirSync(keys, { mode: 0o700 })
  const host = generateParseableKey('test-host')
  const client = generateParseableKey('test-cluster')
  const other = generateParseableKey('not-authorized')
  const hostKey = join(keys, 'host_ed25519')
  writeFileSync(hostKey, host.private, { mode: 0o600 })
  hostPublic = host.public
  // A cluster folder whose known_hosts recorded another key for node "changed".
  mkdirSync(join(dir, 'cluster-b'))
  changedPin = hostKeyPin(join(dir, 'cluster-b'), 'changed')
  writeFileSync(changedPin.file, `changed ${generateParseableKey('old-host').public.split(' ').slice(0, 2).join(' ')}\n`, { mode: 0o600 })
  writeFileSync(join(keys, 'authorized_keys'), `${client.public}\n`, { mode: 0o600 })
  writeFileSync(join(keys, 'id_ed25519'), client.private, { mode: 0o600 })
  badKeyFile = join(keys, 'other_ed25519')
  writeFileSync(badKeyFile, other.private, { mode: 0o600 })
  port = await freePort()
  // The local provider's sshd config, listening on loopback instead of a node namespace.
  const config = join(dir, 'sshd_config')
  writeFileSync(
    config,
    sshdConfig({
      ip: '127.0.0.1',
      port,
      hostKey,
      authorizedKeys: join(keys, 'authorized_keys'),
      pidFile: join(dir, 'sshd.pid'),
      root: dir,
      nodeBinary: process.execPath,
    }),
    { mode: 0o600 },
  )
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 })
  const check = spawnSync(SSHD, ['-t', '-f', config], { encoding: 'utf8' })
  if (check.status !== 0) throw new Error(`sshd rejects the test config: ${check.stderr}`)
  // -D: stay in the foreground as our child, so the test ends exactly this process.
  sshd = spawn(SSHD, ['-D', '-e', '-f', config], { stdio: ['ignore', 'ignore', 'pipe'] })
  let log = ''
  sshd.stderr?.on('data', (d: Buffer) => (log += d))
  // Wait until sshd accepts connections (it binds a moment after starting).
  for (let i = 0; ; i++) {
    const ok = await new Promise<boolean>((r) => {
      const c = connect(port, '127.0.0.1')
      c.on('connect', () => {
        c.destroy()
        r(true)
      })
      c.on('error', () => r(false))
    })
    if (ok) break
    if (i > 200) throw new Error(`sshd did not listen on 127.0.0.1:${port}: ${log}`)
    await new Promise((r) => setTimeout(r, 50))
  }
  target = { host: '127.0.0.1', port, user: 'root', privateKeyFile: join(keys, 'id_ed25519') }
  terms = new TerminalService({
    env: process.env,
    manager: new ClusterManager({ env: { KUBELAB_HOME: dir } }),
    publish: (m) => events.push(m),
    sshTarget: async (_cluster, node) =>
      node === 'down'
        ? { ...target, port: await freePort() }
        : node === 'badkey'
          ? { ...target, privateKeyFile: badKeyFile }
          : node === 'changed'
            ? { ...target, hostKey: changedPin }
            : target,
  })
})

afterAll(() => {
  terms?.closeAll()
  if (sshd?.pid) process.kill(sshd.pid, 'SIGTERM')
  rmSync(dir, { recursive: true, force: true })
})

describe.skipIf(!isRoot)('shell on a node over SSH', () => {
  it('connects, runs commands in a pty of the terminal size, resizes, and reports the exit code', async () => {
    const info = await terms.openNode({ cluster: 'c1', node: 'worker-1', cols: 91, rows: 27 })
    expect(info).toMatchObject({ kind: 'node', title: 'c1: node worker-1', state: 'connecting' })
    await until('connected', () => states(info.id).some((s) => s.state === 'connected'))
    terms.input(info.id, 'echo $((6*7)) $(stty size) $TERM\r')
    await until('the answer', () => /42 27 91 xterm-256color/.test(output(info.id)))
    terms.resize(info.id, 120, 40)
    terms.input(info.id, 'echo size=$(stty size)\r')
    await until('the new size', () => output(info.id).includes('size=40 120'))
    terms.input(info.id, 'exit 3\r')
    const closed = await until('closed', () => states(info.id).find((s) => s.state === 'closed'))
    expect(closed.exitCode).toBe(3)
    expect(closed.reason).toContain('exited with code 3')
    expect(() => terms.input(info.id, 'x')).toThrow(/closed/)
  })

  it('keystrokes typed while connecting are not lost; a new session after close works (reconnect)', async () => {
    const first = await terms.openNode({ cluster: 'c1', node: 'worker-1', cols: 80, rows: 24 })
    terms.input(first.id, 'echo early-$((1+1))\r')
    await until('the early command ran', () => output(first.id).includes('early-2'))
    terms.close(first.id)
    expect(terms.list().some((t) => t.id === first.id)).toBe(false)
    // The renderer reconnects on Enter by opening a new session for the same tab.
    const again = await terms.openNode({ cluster: 'c1', node: 'worker-1', cols: 80, rows: 24 })
    expect(again.id).not.toBe(first.id)
    await until('connected again', () => states(again.id).some((s) => s.state === 'connected'))
    terms.input(again.id, 'echo again-$((2+2))\r')
    await until('the second session answers', () => output(again.id).includes('again-4'))
    terms.close(again.id)
  })

  it('a node that does not answer closes the terminal with the reason', async () => {
    const info = await terms.openNode({ cluster: 'c1', node: 'down', cols: 80, rows: 24 })
    const closed = await until('closed', () => states(info.id).find((s) => s.state === 'closed'))
    expect(closed.reason).toMatch(/cannot reach node down over SSH at root@127\.0\.0\.1:\d+: .*ECONNREFUSED/)
    expect(states(info.id).some((s) => s.state === 'connected')).toBe(false)
  })

  it('a key the node does not accept is named as such', async () => {
    const info = await terms.openNode({ cluster: 'c1', node: 'badkey', cols: 80, rows: 24 })
    const closed = await until('closed', () => states(info.id).find((s) => s.state === 'closed'))
    expect(closed.reason).toContain("refused the cluster's SSH key")
  })
})

describe('node shells where there is no SSH (error values through the backend)', () => {
  it('a simulated cluster answers ssh_unavailable; unknown clusters and nodes not_found', async () => {
    const home = mkdtempSync(join(tmpdir(), 'kubelab-node-shell-home-'))
    try {
      writeRecord(join(home, 'clusters', 'sim'), {
        name: 'sim',
        provider: 'simulated',
        state: 'running',
        nodes: [{ name: 'master', role: 'control-plane', state: 'running' }],
        createdAt: new Date().toISOString(),
        ports: {},
        settings: {},
      })
      writeRecord(join(home, 'clusters', 'loc'), {
        name: 'loc',
        provider: 'local',
        state: 'stopped',
        nodes: [{ name: 'master', role: 'control-plane', state: 'stopped' }],
        createdAt: new Date().toISOString(),
        ports: {},
        settings: {},
      })
      const backend = createBackend({ mode: 'browser', version: 'test', env: { ...process.env, KUBELAB_HOME: home } })
      const open = async (cluster: string, node: string): Promise<string> => {
        const r = await backend.request('terminals.openNode', { cluster, node, cols: 80, rows: 24 })
        return r.ok ? 'ok' : `${r.error.code}: ${r.error.message}`
      }
      expect(await open('sim', 'master')).toMatch(/^ssh_unavailable: node master of cluster sim is simulated: it has no machine to log in to/)
      // A local cluster whose nodes were never laid out has no address yet.
      expect(await open('loc', 'master')).toMatch(/^ssh_unavailable: no SSH access to node master of cluster loc/)
      expect(await open('sim', 'worker-9')).toMatch(/^not_found: cluster sim has no node worker-9; its nodes: master/)
      expect(await open('nope', 'master')).toMatch(/^not_found: no cluster named nope/)
      expect(await open('sim', '')).toMatch(/^bad_params: /)
      const list = await backend.request('terminals.list', undefined)
      expect(list.ok && list.value).toEqual([])
      await backend.close()
    } finally {
      rmSync(home, { recursive: true, force: true })
    }
  })
})

/** OpenSSH's own client with the cluster's pins, as `kubelab ssh` runs it. */
function opensshWith(pin: HostKeyPin): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(
    'ssh',
    [
      '-i',
      target.privateKeyFile,
      '-p',
      String(port),
      '-o',
      `UserKnownHostsFile=${pin.file}`,
      '-o',
      `HostKeyAlias=${pin.alias}`,
      '-o',
      'StrictHostKeyChecking=yes',
      '-o',
      'BatchMode=yes',
      'root@127.0.0.1',
      'echo',
      'pinned-ok',
    ],
    { encoding: 'utf8', timeout: 30_000 },
  )
  return { status: r.status, stdout: r.stdout, stderr: r.stderr }
}

describe.skipIf(!isRoot)('SSH host-key pinning', () => {
  it("records a node's key at first contact in the cluster's known_hosts, which OpenSSH reads too, and accepts it again", async () => {
    mkdirSync(join(dir, 'cluster-a'))
    const pin = hostKeyPin(join(dir, 'cluster-a'), 'node-1')
    const first = await SshSession.connect(loginFor({ ...target, hostKey: pin }), { deadline: Date.now() + 30_000, node: 'node-1' })
    first.close()
    expect(readFileSync(pin.file, 'utf8')).toBe(`node-1 ${hostPublic.split(' ').slice(0, 2).join(' ')}\n`)
    const again = await SshSession.connect(loginFor({ ...target, hostKey: pin }), { deadline: Date.now() + 30_000, node: 'node-1' })
    expect((await again.exec('echo still-ok')).stdout.trim()).toBe('still-ok')
    again.close()
    const os = opensshWith(pin)
    expect(os.stderr).toBe('')
    expect(os.stdout.trim()).toBe('pinned-ok')
  })

  it('refuses a changed key with what to do, before sending anything; OpenSSH and the terminal refuse it too; forgetting the pin learns the new one', async () => {
    const before = readFileSync(changedPin.file, 'utf8')
    const err = await SshSession.connect(loginFor({ ...target, hostKey: changedPin }), { deadline: Date.now() + 60_000, node: 'changed' }).then(
      () => undefined,
      (e: Error) => e,
    )
    expect(err?.message).toMatch(
      /^the SSH host key of node changed has changed \(recorded ssh-ed25519 SHA256:\S+, offered ssh-ed25519 SHA256:\S+\), so KubeLab did not send it anything/,
    )
    expect(err?.message).toContain(`ssh-keygen -R changed -f ${changedPin.file}`)
    expect(readFileSync(changedPin.file, 'utf8')).toBe(before)
    const os = opensshWith(changedPin)
    expect(os.status).toBe(255)
    expect(os.stderr).toContain('REMOTE HOST IDENTIFICATION HAS CHANGED')
    expect(os.stdout).toBe('')
    const info = await terms.openNode({ cluster: 'c1', node: 'changed', cols: 80, rows: 24 })
    const closed = await until('the refused terminal', () => states(info.id).find((s) => s.state === 'closed'))
    expect(closed.reason).toContain('the SSH host key of node changed has changed')
    forgetHostKey(changedPin)
    const s = await SshSession.connect(loginFor({ ...target, hostKey: changedPin }), { deadline: Date.now() + 30_000, node: 'changed' })
    s.close()
    expect(readFileSync(changedPin.file, 'utf8')).toBe(`changed ${hostPublic.split(' ').slice(0, 2).join(' ')}\n`)
  })
})
