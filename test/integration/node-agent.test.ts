// The node agent (`kubelab-node agent`): several components in one process, each stopped and
// started on its own the way labs do it on a local node — `supervisor.mjs ctl stop|start NAME` —
// with the supervisor's status file (what labs read) following each part. Real processes (the
// supervisor, the agent) against a real API server; the parts are DNS and the ingress controller
// on loopback ports, so no root is needed. Also the shared informers (InformerFactory.scoped)
// the agent's parts use.
import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createConnection } from 'node:net'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startControlPlane, type ControlPlane } from '../../src-cluster/cmd/control-plane'
import { InformerFactory } from '../../src-cluster/client'
import type { KubeObject } from '../../src-cluster/api/object'
import { RES } from '../../src-cluster/kit/resources'
import { until as poll } from '../helpers/wait'

const repo = resolve(__dirname, '../..')
let dir = ''
let cp: ControlPlane | undefined
let supervisor: ChildProcess | undefined

const status = (): Record<string, { up: boolean; stopped: boolean; pid: number | null; partOf?: string }> | undefined => {
  try {
    return (JSON.parse(readFileSync(join(dir, 'run', 'kubelab', 'status.json'), 'utf8')) as { components: never }).components
  } catch {
    return undefined
  }
}
// Not spawnSync: the API server runs in this process and must keep answering the agent meanwhile.
const ctl = (action: string, name: string): Promise<{ code: number | null; out: string }> =>
  new Promise((ok) => {
    execFile(
      process.execPath,
      [join(repo, 'provisioning', 'supervisor.mjs'), 'ctl', action, name],
      { env: { ...process.env, KUBELAB_ROOT: dir }, encoding: 'utf8', timeout: 60_000 },
      (err, stdout, stderr) => ok({ code: err ? ((err as { code?: number }).code ?? 1) : 0, out: `${stdout}${stderr}`.trim() }),
    )
  })
const until = <T>(what: string, f: () => T, ms = 60_000) =>
  poll(what, f, { timeoutMs: ms, intervalMs: 200, context: () => `agent log:\n${readFileSync(join(dir, 'logs', 'agent.log'), 'utf8').slice(-3000)}` })
const listening = (port: number): Promise<boolean> =>
  new Promise((ok) => {
    const s = createConnection({ host: '127.0.0.1', port }, () => {
      s.destroy()
      ok(true)
    })
    s.on('error', () => ok(false))
  })
const freePort = async (): Promise<number> => {
  const { createServer } = await import('node:net')
  return new Promise((ok) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port
      s.close(() => ok(p))
    })
  })
}

let dnsPort = 0
let httpPort = 0

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kubelab-agent-'))
  cp = await startControlPlane({ dataDir: join(dir, 'data'), securePort: 0, adminKubeconfig: join(dir, 'admin.kubeconfig'), log: () => {} })
  dnsPort = await freePort()
  httpPort = await freePort()
  const kc = join(dir, 'admin.kubeconfig')
  mkdirSync(join(dir, 'etc'), { recursive: true })
  writeFileSync(
    join(dir, 'etc', 'agent.json'),
    JSON.stringify({
      parts: [
        { name: 'dns', args: ['--kubeconfig', kc, '--bind', `127.0.0.1:${dnsPort}`, '--upstream', '127.0.0.1:9'] },
        { name: 'ingress', args: ['--kubeconfig', kc, '--node-name', 'n1', '--address', '127.0.0.1', '--http-port', String(httpPort), '--https-port', '0'] },
      ],
    }),
  )
  const runDir = join(dir, 'run', 'kubelab')
  const socket = join(runDir, 'agent.sock')
  writeFileSync(
    join(dir, 'etc', 'components.json'),
    JSON.stringify({
      node: 'n1',
      nodeBinary: process.execPath,
      program: join(repo, 'bin', 'kubelab-node.mjs'),
      logDir: join(dir, 'logs'),
      runDir,
      components: [
        {
          name: 'agent',
          args: ['--config', join(dir, 'etc', 'agent.json'), '--control-socket', socket, '--stopped-dir', join(runDir, 'stopped')],
          parts: ['dns', 'ingress'],
          controlSocket: socket,
        },
      ],
    }),
  )
  supervisor = spawn(process.execPath, [join(repo, 'provisioning', 'supervisor.mjs'), join(dir, 'etc', 'components.json')], {
    cwd: repo,
    stdio: 'ignore',
  })
}, 60_000)

afterAll(async () => {
  if (supervisor && supervisor.exitCode === null) {
    const gone = new Promise((r) => supervisor!.once('exit', r))
    supervisor.kill('SIGTERM')
    await gone
  }
  await cp?.close()
  if (dir && !process.env.KEEP) rmSync(dir, { recursive: true, force: true })
}, 60_000)

describe('kubelab-node agent under the supervisor (a local node)', () => {
  it('runs both parts in one process, each listed in the status file with that process', async () => {
    const st = await until('both parts up', () => {
      const s = status()
      return s?.dns?.up && s.ingress?.up && s
    })
    expect(st.agent!.up).toBe(true)
    expect(st.dns!.pid).toBe(st.agent!.pid)
    expect(st.ingress!.pid).toBe(st.agent!.pid)
    expect(st.dns!.partOf).toBe('agent')
    expect(await listening(dnsPort)).toBe(true)
    expect(await listening(httpPort)).toBe(true)
  }, 90_000)

  it('ctl stop holds one part down while the other keeps serving; ctl start brings it back', async () => {
    const pid = status()!.agent!.pid
    const stop = await ctl('stop', 'dns')
    expect(stop).toEqual({ code: 0, out: 'dns stopped' })
    expect(status()!.dns).toMatchObject({ up: false, stopped: true })
    expect(await ctl('status', 'dns')).toEqual({ code: 3, out: 'inactive' })
    expect(await listening(dnsPort)).toBe(false)
    expect(await listening(httpPort)).toBe(true)
    expect(existsSync(join(dir, 'run', 'kubelab', 'stopped', 'dns'))).toBe(true)
    expect(status()!.agent!.pid).toBe(pid)

    expect(await ctl('start', 'dns')).toEqual({ code: 0, out: 'dns started' })
    expect(await ctl('status', 'dns')).toEqual({ code: 0, out: 'active' })
    expect(await listening(dnsPort)).toBe(true)
    expect(status()!.agent!.pid).toBe(pid)
  }, 90_000)

  it('a part held stopped stays stopped when the agent process restarts', async () => {
    expect(await ctl('stop', 'ingress')).toEqual({ code: 0, out: 'ingress stopped' })
    const before = status()!.agent!.pid!
    process.kill(before, 'SIGKILL')
    await until('the agent restarted with dns up', () => {
      const s = status()
      return s?.agent?.pid && s.agent.pid !== before && s.dns?.up && s
    })
    expect(status()!.ingress).toMatchObject({ up: false, stopped: true })
    expect(await listening(httpPort)).toBe(false)
    expect((await ctl('start', 'ingress')).code).toBe(0)
    expect(await listening(httpPort)).toBe(true)
  }, 120_000)
})

describe('InformerFactory.scoped (informers shared by the parts of one process)', () => {
  it('lists and watches once for every view; a stopped view gets no more events; the informer stops with its last user', async () => {
    const shared = new InformerFactory(cp!.client, { log: () => {} })
    const a = shared.scoped()
    const b = shared.scoped()
    const seenA: string[] = []
    const seenB: string[] = []
    const infA = a.for<KubeObject>(RES.configmaps, { namespace: 'default' })
    const infB = b.for<KubeObject>(RES.configmaps, { namespace: 'default' })
    infA.addHandler({ add: (o) => seenA.push(o.metadata!.name!) })
    infB.addHandler({ add: (o) => seenB.push(o.metadata!.name!) })
    await Promise.all([a.startAll(), b.startAll()])
    expect(shared.size()).toBe(1)
    const cm = (name: string) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'default' } })
    await cp!.client.create(RES.configmaps, 'default', cm('one'))
    await until('both views see one', () => seenA.includes('one') && seenB.includes('one'))
    a.stopAll()
    expect(shared.size()).toBe(1)
    await cp!.client.create(RES.configmaps, 'default', cm('two'))
    await until('b sees two', () => seenB.includes('two'))
    expect(seenA).not.toContain('two')
    // A view made again (a part started again) gets what is in the cache at once.
    const again = shared.scoped()
    const seenAgain: string[] = []
    again.for<KubeObject>(RES.configmaps, { namespace: 'default' }).addHandler({ add: (o) => seenAgain.push(o.metadata!.name!) })
    expect(seenAgain).toEqual(expect.arrayContaining(['one', 'two']))
    again.stopAll()
    b.stopAll()
    expect(shared.size()).toBe(0)
    // Its last user gone, the informer stopped (its list-and-watch loop ended).
    await infB.whenStopped()
  }, 60_000)
})
