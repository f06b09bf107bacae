// The `kubelab` CLI end to end with a simulated cluster: create (a detached control-plane
// process), kubectl against the written kubeconfig, list, node stop/start, stop/start keeping
// objects, kubeconfig --merge, and delete leaving no process or file behind.
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { KUBECTL } from '../helpers/apiserver'
import { until } from '../helpers/wait'
import { kubectlCli, kubelabCli, runCommand } from '../helpers/cli'

const home = mkdtempSync(join(tmpdir(), 'kubelab-home-'))
const kubelabHome = join(home, '.kubelab')
const env = { ...process.env, HOME: home, KUBELAB_HOME: kubelabHome, KUBECONFIG: '' }
const kubelab = kubelabCli({ env, timeoutMs: 180_000 }).result
const dir = join(kubelabHome, 'clusters', 'demo')
const kubeconfig = join(dir, 'kubeconfig')
const kubectl = kubectlCli({ bin: KUBECTL, kubeconfig, env, timeoutMs: 180_000, flags: ['--cache-dir', join(home, 'kcache')] }).result

/** Running (a zombie — exited, waiting to be reaped by an init that may not reap — is not). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
  } catch {
    return false
  }
  const status = `/proc/${pid}/status`
  return !existsSync(status) || !/^State:\s+Z/m.test(readFileSync(status, 'utf8'))
}

let pid = 0

afterAll(async () => {
  // Whatever happened, leave nothing running.
  if (existsSync(dir)) await kubelab('delete', 'demo')
  if (pid && alive(pid)) process.kill(pid, 'SIGKILL')
  rmSync(home, { recursive: true, force: true })
})

describe('kubelab CLI with the simulated provider', () => {
  it('creates a cluster whose nodes are Ready, in the background', async () => {
    const r = await kubelab('create', 'demo', '--provider', 'simulated', '--workers', '2', '--start-delay', '100ms', '--node-monitor-grace-period', '3s')
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/\[\s*\d+\.\ds\] creating cluster demo/)
    expect(r.stdout).toContain('node node-2 Ready')
    expect(r.stdout).toContain('cluster demo is ready')
    const rec = JSON.parse(readFileSync(join(dir, 'cluster.json'), 'utf8')) as { provider: string; state: string; nodes: { name: string }[]; createdAt: string }
    expect(rec).toMatchObject({ provider: 'simulated', state: 'running' })
    expect(rec.nodes.map((n) => n.name)).toEqual(['control-plane', 'node-1', 'node-2'])
    expect(Number.isNaN(Date.parse(rec.createdAt))).toBe(false)
    expect(statSync(kubeconfig).mode & 0o777).toBe(0o600)
    pid = Number(readFileSync(join(dir, 'control-plane.pid'), 'utf8'))
    expect(alive(pid)).toBe(true)
    // The CLI call is over, the control plane keeps running.
    const nodes = await kubectl('get', 'nodes')
    expect(nodes.stdout).toMatch(/node-1\s+Ready/)
    expect(nodes.stdout).toMatch(/control-plane\s+Ready\s+control-plane/)
  })

  it('lists the cluster and prints its kubeconfig path', async () => {
    const list = await kubelab('list')
    expect(list.stdout).toMatch(/demo\s+simulated\s+running\s+3/)
    const path = await kubelab('kubeconfig', 'demo')
    expect(path.stdout.trim()).toBe(kubeconfig)
  })

  it('refuses to create the same cluster twice', async () => {
    const r = await kubelab('create', 'demo', '--provider', 'simulated', '--workers', '2')
    expect(r.code).toBe(1)
    expect(r.stderr).toContain('already exists')
  })

  it('stops one node (NotReady) and starts it again: its pods are Ready again', async () => {
    expect((await kubectl('create', 'deployment', 'two', '--image=nginx', '--replicas=2')).code).toBe(0)
    const ready = async (): Promise<string> => (await kubectl('get', 'deploy', 'two', '-o', 'jsonpath={.status.readyReplicas}')).stdout
    await until('2 ready replicas', async () => (await ready()) === '2', 60_000)
    expect((await kubelab('node', 'stop', 'demo', 'node-1')).code).toBe(0)
    await until('node-1 NotReady', async () => /node-1\s+NotReady/.test((await kubectl('get', 'nodes')).stdout), 60_000)
    // The node controller marks the pods of a NotReady node not Ready (2 replicas spread over 2 nodes).
    await until('a replica not ready', async () => (await ready()) !== '2', 60_000)
    expect((await kubelab('node', 'start', 'demo', 'node-1')).code).toBe(0)
    await until('node-1 Ready', async () => /node-1\s+Ready/.test((await kubectl('get', 'nodes')).stdout), 60_000)
    await until('2 ready replicas again', async () => (await ready()) === '2', 60_000)
    expect((await kubectl('delete', 'deployment', 'two')).code).toBe(0)
  })

  it('keeps objects, and a node stopped for a drill, across stop and start', async () => {
    expect((await kubectl('create', 'configmap', 'keep', '--from-literal=k=v')).code).toBe(0)
    expect((await kubelab('node', 'stop', 'demo', 'node-2')).code).toBe(0)
    const stop = await kubelab('stop', 'demo')
    expect(stop.code).toBe(0)
    expect(alive(pid)).toBe(false)
    expect(JSON.parse(readFileSync(join(dir, 'cluster.json'), 'utf8')).state).toBe('stopped')
    const start = await kubelab('start', 'demo')
    expect(start.stderr).toBe('')
    expect(start.code).toBe(0)
    pid = Number(readFileSync(join(dir, 'control-plane.pid'), 'utf8'))
    const cm = await kubectl('get', 'configmap', 'keep', '-o', 'jsonpath={.data.k}')
    expect(cm.stdout).toBe('v')
    // The drill survives the restart: node-2 does not come back by itself, and list says so.
    expect(start.stdout).toContain('node-2 stays stopped')
    expect((await kubelab('list')).stdout).toMatch(/demo\s+simulated\s+running\s+3 \(node-2 stopped\)/)
    await until('node-2 NotReady', async () => /node-2\s+NotReady/.test((await kubectl('get', 'nodes')).stdout), 60_000)
    expect((await kubelab('node', 'start', 'demo', 'node-2')).code).toBe(0)
    await until('node-2 Ready', async () => /node-2\s+Ready/.test((await kubectl('get', 'nodes')).stdout), 60_000)
    expect((await kubelab('list')).stdout).toMatch(/demo\s+simulated\s+running\s+3\s/)
  })

  it('runs a lab from the CLI: short list, the command to run for a hint, variables, a timed finish, progress as JSON', async () => {
    const list = await kubelab('lab', 'list', 'demo')
    expect(list.code).toBe(0)
    // The "runs here" column names the missing needs; the reasons only with --wide.
    expect(Math.max(...list.stdout.split('\n').map((l) => l.length))).toBeLessThan(200)
    expect(list.stdout).toMatch(/node-labels .* yes .*Label a node/)
    expect(list.stdout).toMatch(/no: needs runtime/)
    const wide = await kubelab('lab', 'list', 'demo', '--wide')
    expect(wide.stdout).toMatch(/runs here: no: runtime \(simulated nodes report pods Running/)
    const start = await kubelab('lab', 'start', 'demo', 'node-labels')
    expect(start.code).toBe(0)
    expect(start.stdout).toContain('here it is `node-1`')
    expect((await kubelab('lab', 'hint', 'demo')).stdout).toContain('No hint yet: run kubelab lab check demo 2 more times')
    expect((await kubelab('lab', 'env', 'demo')).stdout).toContain("export KUBELAB_NODE_W1='node-1'")
    expect((await kubelab('lab', 'check', 'demo')).code).toBe(1)
    expect((await kubelab('lab', 'solution', 'demo', '--run')).code).toBe(0)
    const done = await kubelab('lab', 'check', 'demo')
    expect(done.stdout).toMatch(/lab node-labels finished in \d+ (s|min)[^:]*: 2 checks, 0 hints used/)
    const json = JSON.parse((await kubelab('lab', 'progress', 'demo', '--json')).stdout) as {
      cluster: string
      labs: { labId: string; finished: boolean; attempts: number; seconds: number }[]
    }
    expect(json.cluster).toBe('demo')
    expect(json.labs).toEqual([expect.objectContaining({ labId: 'node-labels', finished: true, attempts: 2, hints: 0, steps: 1, completed: [1] })])
    expect((await kubelab('lab', 'stop', 'demo')).code).toBe(0)
  }, 240_000)

  it('merges a context into ~/.kube/config', async () => {
    const r = await kubelab('kubeconfig', 'demo', '--merge')
    expect(r.code).toBe(0)
    const merged = await runCommand(KUBECTL, ['--context', 'kubelab-demo', '--cache-dir', join(home, 'kcache'), 'get', 'nodes'], { env })
    expect(merged.stderr).toBe('')
    expect(merged.stdout).toMatch(/node-2\s+Ready/)
  })

  it('deletes the cluster: no process, no folder, no context left', async () => {
    const r = await kubelab('delete', 'demo')
    expect(r.code).toBe(0)
    expect(alive(pid)).toBe(false)
    expect(existsSync(dir)).toBe(false)
    expect(readFileSync(join(home, '.kube', 'config'), 'utf8')).not.toContain('kubelab-demo')
    expect((await kubelab('list')).stdout).toContain('No clusters')
  })
})
