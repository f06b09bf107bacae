// A control-plane node's agent: the API server, scheduler and controller manager as parts of ONE
// `kubelab-node agent` process under the local supervisor, as a control-plane node runs them.
// Each part is stopped and started on its own with `supervisor.mjs ctl` (the stopped-scheduler
// and ha-control-plane labs do it), the API server restarts inside the process (its data
// directory lock given back and taken again), and a part that loses its lease stops its loops
// and competes again without the process (and the API server with it) going down — upstream's
// leader election with the process restart scoped to the part. Real processes, real HTTPS.
import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { get as httpsGet } from 'node:https'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createClient, loadKubeconfig, type ClosableClient } from '../../src-cluster/client'
import type { KubeObject } from '../../src-cluster/api/object'
import { RES } from '../../src-cluster/kit/resources'
import { microTime } from '../../src-cluster/kit/time'
import { until as poll } from '../helpers/wait'

const repo = resolve(__dirname, '../..')
let dir = ''
let supervisor: ChildProcess | undefined
let client: ClosableClient | undefined
let port = 0

type Status = Record<string, { up: boolean; stopped: boolean; pid: number | null; partOf?: string }>
const status = (): Status | undefined => {
  try {
    return (JSON.parse(readFileSync(join(dir, 'run', 'kubelab', 'status.json'), 'utf8')) as { components: Status }).components
  } catch {
    return undefined
  }
}
const agentLog = (): string => {
  try {
    return readFileSync(join(dir, 'logs', 'agent.log'), 'utf8')
  } catch {
    return ''
  }
}
const ctl = (action: string, name: string): Promise<{ code: number | null; out: string }> =>
  new Promise((ok) => {
    execFile(
      process.execPath,
      [join(repo, 'provisioning', 'supervisor.mjs'), 'ctl', action, name],
      { env: { ...process.env, KUBELAB_ROOT: dir }, encoding: 'utf8', timeout: 60_000 },
      (err, stdout, stderr) => ok({ code: err ? ((err as { code?: number }).code ?? 1) : 0, out: `${stdout}${stderr}`.trim() }),
    )
  })
const until = <T>(what: string, f: () => T | Promise<T>, ms = 60_000) =>
  poll(what, f, { timeoutMs: ms, intervalMs: 250, context: () => `agent log:\n${agentLog().slice(-4000)}` })
const freePort = (): Promise<number> =>
  new Promise((ok) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port
      s.close(() => ok(p))
    })
  })
/** The API server's /readyz answers ok (over HTTPS with the admin credentials). */
const readyz = (): Promise<boolean> =>
  new Promise((ok) => {
    const c = client!.config
    const req = httpsGet(`${c.server}/readyz`, { ca: c.caPem, cert: c.certPem, key: c.keyPem, timeout: 5000 }, (res) => {
      let body = ''
      res.on('data', (d: Buffer) => (body += d.toString()))
      res.on('end', () => ok(res.statusCode === 200 && body.trim() === 'ok'))
    })
    req.on('error', () => ok(false))
    req.on('timeout', () => req.destroy())
  })
const lease = (name: string): Promise<(KubeObject & { spec?: { holderIdentity?: string } }) | undefined> =>
  client!.get<KubeObject & { spec?: { holderIdentity?: string } }>(RES.leases, 'kube-system', name).catch(() => undefined)
const holder = async (name: string): Promise<string | undefined> => (await lease(name))?.spec?.holderIdentity || undefined
const pod = (name: string): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'default' },
  spec: { containers: [{ name: 'c', image: 'busybox:1.36' }] },
})
/** The scheduler's mark on a pod no node fits (there are no nodes): PodScheduled=False. */
const triedToSchedule = async (name: string): Promise<boolean> => {
  const p = await client!.get<KubeObject & { status?: { conditions?: { type: string; status: string }[] } }>(RES.pods, 'default', name)
  return !!p?.status?.conditions?.some((c) => c.type === 'PodScheduled' && c.status === 'False')
}
const replicaSet = (name: string): KubeObject => ({
  apiVersion: 'apps/v1',
  kind: 'ReplicaSet',
  metadata: { name, namespace: 'default' },
  spec: {
    replicas: 1,
    selector: { matchLabels: { app: name } },
    template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image: 'busybox:1.36' }] } },
  },
})
/** The controller manager made the ReplicaSet's pod. */
const podsOf = async (app: string): Promise<number> => (await client!.list(RES.pods, { namespace: 'default', labelSelector: `app=${app}` })).items.length

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kubelab-cp-agent-'))
  port = await freePort()
  const kc = join(dir, 'admin.kubeconfig')
  // Short leases, so that a lost lease is noticed and won back in seconds.
  const le = ['--leader-elect-lease-duration', '4s', '--leader-elect-renew-deadline', '3s', '--leader-elect-retry-period', '1s']
  mkdirSync(join(dir, 'etc'), { recursive: true })
  writeFileSync(
    join(dir, 'etc', 'agent.json'),
    JSON.stringify({
      parts: [
        { name: 'apiserver', args: ['--data-dir', join(dir, 'apiserver'), '--secure-port', String(port), '--admin-kubeconfig', kc] },
        { name: 'scheduler', args: ['--kubeconfig', kc, ...le] },
        { name: 'controller-manager', args: ['--kubeconfig', kc, ...le] },
      ],
    }),
  )
  const runDir = join(dir, 'run', 'kubelab')
  const socket = join(runDir, 'agent.sock')
  writeFileSync(
    join(dir, 'etc', 'components.json'),
    JSON.stringify({
      node: 'cp1',
      nodeBinary: process.execPath,
      program: join(repo, 'bin', 'kubelab-node.mjs'),
      logDir: join(dir, 'logs'),
      runDir,
      components: [
        {
          name: 'agent',
          args: ['--config', join(dir, 'etc', 'agent.json'), '--control-socket', socket, '--stopped-dir', join(runDir, 'stopped')],
          parts: ['apiserver', 'scheduler', 'controller-manager'],
          controlSocket: socket,
        },
      ],
    }),
  )
  supervisor = spawn(process.execPath, [join(repo, 'provisioning', 'supervisor.mjs'), join(dir, 'etc', 'components.json')], { cwd: repo, stdio: 'ignore' })
  // The API server part writes the admin kubeconfig the others (and this test) use.
  await until('the admin kubeconfig', () => existsSync(kc), 90_000)
  client = createClient(loadKubeconfig(kc))
}, 120_000)

afterAll(async () => {
  client?.close()
  if (supervisor && supervisor.exitCode === null) {
    const gone = new Promise((r) => supervisor!.once('exit', r))
    supervisor.kill('SIGTERM')
    await gone
  }
  if (dir && !process.env.KEEP) rmSync(dir, { recursive: true, force: true })
}, 60_000)

describe("a control-plane node's agent: apiserver, scheduler and controller-manager in one process", () => {
  it('runs all three in the agent process; the scheduler and controller manager lead and work through the API server', async () => {
    const st = await until('all parts up', () => {
      const s = status()
      return s?.apiserver?.up && s.scheduler?.up && s['controller-manager']?.up && s
    })
    for (const n of ['apiserver', 'scheduler', 'controller-manager']) expect(st[n]).toMatchObject({ pid: st.agent!.pid, partOf: 'agent' })
    expect(await readyz()).toBe(true)
    // Identities name the node (KUBELAB_NODE_NAME from the supervisor), as separate processes did.
    expect(await until('scheduler lease', () => holder('kube-scheduler'))).toMatch(/^cp1_/)
    expect(await until('controller-manager lease', () => holder('kube-controller-manager'))).toMatch(/^cp1_/)
    await client!.create(RES.replicasets, 'default', replicaSet('first'))
    await until('the controller manager creates the pod', async () => (await podsOf('first')) === 1)
    await client!.create(RES.pods, 'default', pod('p1'))
    await until('the scheduler tries p1', () => triedToSchedule('p1'))
  }, 120_000)

  it('ctl stop scheduler stops only the scheduler (lease released, API server serving); ctl start brings it back', async () => {
    const pid = status()!.agent!.pid
    const before = await holder('kube-scheduler')
    expect(await ctl('stop', 'scheduler')).toEqual({ code: 0, out: 'scheduler stopped' })
    expect(await ctl('status', 'scheduler')).toEqual({ code: 3, out: 'inactive' })
    expect(status()).toMatchObject({ scheduler: { up: false, stopped: true }, apiserver: { up: true }, 'controller-manager': { up: true } })
    // A stopping leader releases its lease (upstream's ReleaseOnCancel), through the API server still up.
    expect(await holder('kube-scheduler')).toBeUndefined()
    await client!.create(RES.pods, 'default', pod('p2'))
    await client!.create(RES.replicasets, 'default', replicaSet('second'))
    await until('the controller manager still works', async () => (await podsOf('second')) === 1)
    expect(await triedToSchedule('p2')).toBe(false)
    expect(await ctl('start', 'scheduler')).toEqual({ code: 0, out: 'scheduler started' })
    await until('p2 tried once the scheduler is back', () => triedToSchedule('p2'))
    const after = await holder('kube-scheduler')
    expect(after).toMatch(/^cp1_/)
    expect(after).not.toBe(before)
    expect(status()!.agent!.pid).toBe(pid)
  }, 120_000)

  it('a controller manager that loses its lease stops its loops and competes again; the process and the API server stay up', async () => {
    const pid = status()!.agent!.pid
    const mine = await holder('kube-controller-manager')
    expect(mine).toMatch(/^cp1_/)
    // Someone else takes the lease (as another replica whose renewal won): ours cannot renew.
    await until('the lease taken over', async () => {
      const l = await lease('kube-controller-manager')
      if (!l) return false
      const now = microTime(new Date())
      const taken = { ...l, spec: { ...l.spec, holderIdentity: 'intruder', renewTime: now, acquireTime: now, leaseDurationSeconds: 4 } }
      return client!.update(RES.leases, taken).then(
        () => true,
        () => false,
      )
    })
    await until('leaderelection lost', () => agentLog().includes('controller-manager: leaderelection lost'))
    // The intruder never renews: once its lease expires, the part (started again) wins it.
    const next = await until('the lease won back', async () => {
      const h = await holder('kube-controller-manager')
      return h && h !== 'intruder' && h !== mine && h
    })
    expect(next).toMatch(/^cp1_/)
    expect(await readyz()).toBe(true)
    expect(status()!.agent!.pid).toBe(pid)
    expect(status()!['controller-manager']!.up).toBe(true)
    await client!.create(RES.replicasets, 'default', replicaSet('third'))
    await until('controllers run again', async () => (await podsOf('third')) === 1)
  }, 120_000)

  it('ctl stop apiserver takes only the API server down; ctl start serves the same data again in the same process', async () => {
    const pid = status()!.agent!.pid
    expect(await ctl('stop', 'apiserver')).toEqual({ code: 0, out: 'apiserver stopped' })
    expect(await readyz()).toBe(false)
    expect(status()).toMatchObject({ apiserver: { up: false, stopped: true }, scheduler: { up: true }, 'controller-manager': { up: true } })
    expect(await ctl('start', 'apiserver')).toEqual({ code: 0, out: 'apiserver started' })
    expect(await readyz()).toBe(true)
    expect(await client!.get(RES.pods, 'default', 'p1')).toBeDefined()
    // The scheduler's watches reconnect to the new server.
    await client!.create(RES.pods, 'default', pod('p3'))
    await until('p3 tried after the API server restart', () => triedToSchedule('p3'))
    expect(status()!.agent!.pid).toBe(pid)
  }, 120_000)
})
