// Cluster operations without a cluster: step bookkeeping, hints, preflight rules, params.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { ClusterOperation, OperationLine } from '../../src-main/contract'
import { hintsFor } from '../../src-main/clusters/ops/hints'
import { Operation, maxLinesPerStep } from '../../src-main/clusters/ops/operation'
import { parseCreate } from '../../src-main/backend/clusters/params'
import { parseCpu, parseMemory } from '../../src-main/contract'
import { hostNeeds, runPreflight, type HostFacts } from '../../src-main/clusters/ops/preflight'

function recorder() {
  const snapshots: ClusterOperation[] = []
  const lines: OperationLine[] = []
  return { snapshots, lines, sink: { snapshot: (s: ClusterOperation) => snapshots.push(s), line: (l: OperationLine) => lines.push(l) } }
}

describe('Operation', () => {
  it('walks the create steps in order, timing each, and succeeds', () => {
    let t = 1000
    const r = recorder()
    const op = new Operation('op-1', 'lab', 'create', null, r.sink, () => t)
    op.begin('preflight')
    op.line('PASS name')
    t = 1500
    op.begin('control-plane') // skipping machines marks it done too
    op.line('control plane started')
    t = 4000
    op.begin('nodes')
    op.line('node node-1 Ready (1/1)')
    t = 5000
    op.succeed()
    const s = op.snapshot()
    expect(s.state).toBe('succeeded')
    expect(s.steps.map((x) => [x.id, x.state])).toEqual([
      ['preflight', 'done'],
      ['machines', 'done'],
      ['control-plane', 'done'],
      ['nodes', 'done'],
    ])
    expect(s.steps[0]).toMatchObject({ startedAt: 1000, endedAt: 1500, lines: ['PASS name'] })
    expect(s.steps[2]).toMatchObject({ startedAt: 1500, endedAt: 4000, lines: ['control plane started'] })
    expect(s.endedAt).toBe(5000)
    expect(r.lines.map((l) => l.stepId)).toEqual(['preflight', 'control-plane', 'nodes'])
    expect(r.snapshots.at(-1)?.state).toBe('succeeded')
  })

  it('fails at the running step, keeps later steps pending, and records hints', () => {
    const r = recorder()
    const op = new Operation('op-2', 'lab', 'create', null, r.sink)
    op.begin('preflight')
    op.begin('machines')
    op.fail('boom', ['try again'])
    const s = op.snapshot()
    expect(s.state).toBe('failed')
    expect(s.steps.map((x) => x.state)).toEqual(['done', 'failed', 'pending', 'pending'])
    expect(s.error).toBe('boom')
    expect(s.hints).toEqual(['try again'])
    // Finished operations ignore further transitions.
    op.succeed()
    op.begin('nodes')
    expect(op.snapshot().state).toBe('failed')
  })

  it('bounds the lines kept per step and ignores phases it does not list', () => {
    const op = new Operation('op-3', 'lab', 'start', null, recorder().sink)
    op.begin('machines') // start has no machines step
    expect(op.snapshot().steps.every((s) => s.state === 'pending')).toBe(true)
    for (let i = 0; i < maxLinesPerStep + 5; i++) op.line(`line ${i}`)
    const lines = op.snapshot().steps[0]!.lines
    expect(lines).toHaveLength(maxLinesPerStep)
    expect(lines[0]).toBe('line 5')
    expect(op.snapshot().steps[0]!.state).toBe('running') // a line starts the first step
  })

  it('cancels: the running step is marked cancelled', () => {
    const op = new Operation('op-4', 'lab', 'create', null, recorder().sink)
    op.begin('nodes')
    op.cancel('cancelled by you')
    const s = op.snapshot()
    expect(s.state).toBe('cancelled')
    expect(s.steps.find((x) => x.id === 'nodes')!.state).toBe('cancelled')
  })

  it('hands out copies that callers cannot corrupt', () => {
    const op = new Operation('op-5', 'lab', 'stop', null, recorder().sink)
    op.line('a')
    const s = op.snapshot()
    s.steps[0]!.lines.push('forged')
    expect(op.snapshot().steps[0]!.lines).toEqual(['a'])
  })
})

describe('hintsFor', () => {
  const ctx = { kind: 'create' as const, cluster: 'lab', provider: 'simulated', logDir: '/h/clusters/lab/logs' }
  it('says what to do for known failures, most specific first, Retry last', () => {
    const h = hintsFor('timed out waiting for nodes to be Ready: node-1 not Ready', ctx)
    expect(h[0]).toMatch(/fewer workers/)
    expect(h).toContain('Retry: creating resumes where it stopped.')
    expect(hintsFor('the control plane exited; its log says: x', ctx)[0]).toContain('/h/clusters/lab/logs')
    expect(hintsFor('provider multipass is not available here: install it', { ...ctx, provider: 'multipass' })[0]).toMatch(
      /Install or repair the multipass provider/,
    )
  })
  it('always has at least one hint', () => {
    expect(hintsFor('something odd', { ...ctx, kind: 'stop' }).length).toBeGreaterThan(0)
  })
})

describe('params', () => {
  it('parses Kubernetes quantities', () => {
    expect(parseCpu('2')).toBe(2)
    expect(parseCpu('1500m')).toBe(1.5)
    expect(parseCpu('0')).toBeUndefined()
    expect(parseCpu('two')).toBeUndefined()
    expect(parseMemory('4Gi')).toBe(4 * 2 ** 30)
    expect(parseMemory('512Mi')).toBe(512 * 2 ** 20)
    expect(parseMemory('2G')).toBe(2e9)
    expect(parseMemory('4GB')).toBeUndefined()
  })
  it('validates create params with messages naming the field', () => {
    expect(parseCreate({ name: 'lab', provider: 'simulated', workers: 2, cpu: '2', memory: '4Gi' })).toEqual({
      ok: true,
      value: { name: 'lab', provider: 'simulated', workers: 2, cpu: '2', memory: '4Gi', controlPlanes: 1, store: 'embedded' },
    })
    expect(parseCreate({ name: 'lab', provider: 'simulated', workers: 1.5, cpu: '2', memory: '4Gi' })).toMatchObject({
      ok: false,
      error: { code: 'bad_params', message: expect.stringContaining('workers') },
    })
    expect(parseCreate({ name: 'lab', provider: 'simulated', workers: 1, cpu: '2', memory: '4 gigs' })).toMatchObject({
      ok: false,
      error: { message: expect.stringContaining('memory') },
    })
    expect(parseCreate(null)).toMatchObject({ ok: false })
  })

  it('takes 1, 3 or 5 control planes and the store as `kubelab create` does', () => {
    const base = { name: 'ha', provider: 'local', workers: 1, cpu: '2', memory: '2Gi' }
    expect(parseCreate(base)).toMatchObject({ ok: true, value: { controlPlanes: 1, store: 'embedded' } })
    expect(parseCreate({ ...base, controlPlanes: 3 })).toMatchObject({ ok: true, value: { controlPlanes: 3, store: 'etcd' } })
    expect(parseCreate({ ...base, store: 'etcd' })).toMatchObject({ ok: true, value: { controlPlanes: 1, store: 'etcd' } })
    expect(parseCreate({ ...base, controlPlanes: 2 })).toMatchObject({ ok: false, error: { message: expect.stringContaining('1, 3 or 5') } })
    expect(parseCreate({ ...base, controlPlanes: 3, store: 'embedded' })).toMatchObject({ ok: false, error: { message: expect.stringContaining('etcd') } })
    expect(parseCreate({ ...base, provider: 'simulated', controlPlanes: 3 })).toMatchObject({
      ok: false,
      error: { message: expect.stringContaining('machines') },
    })
    // Each control plane is a node the host must fit.
    expect(hostNeeds({ ...base, controlPlanes: 3 }).memory).toBe(4 * 2 * 2 ** 30)
  })
})

describe('preflight', () => {
  let home: string
  beforeEach(async () => {
    home = await mkdtemp(join(tmpdir(), 'kubelab-preflight-'))
  })
  afterEach(async () => {
    await rm(home, { recursive: true, force: true })
  })
  const GiB = 2 ** 30
  const host = (o: Partial<HostFacts> = {}): HostFacts => ({
    freeMemory: () => 8 * GiB,
    cpuCount: () => 8,
    freeDisk: async () => 100 * GiB,
    which: (p) => `/usr/bin/${p}`,
    detect: async () => ({ available: true, version: 'v1' }),
    ...o,
  })
  const params = { name: 'lab', provider: 'simulated', workers: 2, cpu: '2', memory: '4Gi' }

  it('passes on a roomy host', async () => {
    const r = await runPreflight(params, home, host())
    expect(r.ok).toBe(true)
    expect(r.checks.map((c) => c.id)).toEqual(['name', 'provider', 'memory', 'disk', 'cpu', 'kubectl'])
    expect(r.checks.every((c) => c.status === 'pass')).toBe(true)
  })

  it('fails when the provider is missing or memory is short, warns without kubectl', async () => {
    const vm = { ...params, provider: 'multipass' }
    const r = await runPreflight(
      vm,
      home,
      host({ detect: async () => ({ available: false, problem: 'multipass is not installed' }), freeMemory: () => 6 * GiB, which: () => undefined }),
    )
    expect(r.ok).toBe(false)
    const by = Object.fromEntries(r.checks.map((c) => [c.id, c]))
    expect(by.provider).toMatchObject({ status: 'fail', detail: 'multipass is not installed' })
    expect(by.memory!.status).toBe('fail') // 3 nodes × 4Gi > 6Gi
    expect(by.memory!.detail).toContain('12.0 GiB')
    expect(by.kubectl!.status).toBe('warn')
    expect(hostNeeds(vm).cpu).toBe(6)
  })

  it('knows existing and unfinished clusters by name', async () => {
    await mkdir(join(home, 'clusters', 'lab'), { recursive: true })
    await writeFile(join(home, 'clusters', 'lab', 'cluster.json'), JSON.stringify({ name: 'lab', state: 'running', provider: 'simulated', nodes: [] }))
    expect((await runPreflight(params, home, host())).checks[0]).toMatchObject({ id: 'name', status: 'fail' })
    await writeFile(join(home, 'clusters', 'lab', 'cluster.json'), JSON.stringify({ name: 'lab', state: 'creating', provider: 'simulated', nodes: [] }))
    const r = await runPreflight(params, home, host())
    expect(r.checks[0]).toMatchObject({ id: 'name', status: 'warn' })
    expect(r.ok).toBe(true)
    expect((await runPreflight({ ...params, name: 'Bad_Name' }, home, host())).checks[0]!.status).toBe('fail')
  })
})
