// The backend side of the lab panel without a running cluster: params validation, the
// runner's state turned into the contract's session (what a restarted app shows), and the
// service's answers as coded errors. The full flow on a live cluster is test/ui/labs.test.ts.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { EventMessage } from '../../src-main/contract'
import { dispatch } from '../../src-main/backend/dispatch'
import { ClusterManager } from '../../src-main/clusters'
import { createLabHandlers, LabService, labCard, labSession, needsOf } from '../../src-main/backend/labs'
import type { Handlers } from '../../src-main/backend/handlers'
import { loadLab, newProgress, ProgressStore } from '../../src-main/lab-runner'

const root = join(import.meta.dirname, '..', '..')
const namespacesLab = loadLab(join(root, 'labs', 'namespaces'))

describe('lab session view', () => {
  it('shows step 1 with the intro, no hint yet, and no reason before any check', () => {
    const p = newProgress('namespaces', 'c1')
    const s = labSession('c1', { lab: namespacesLab, progress: p, step: namespacesLab.steps[0], text: 'step text' })
    expect(s.step).toBe(1)
    expect(s.finished).toBe(false)
    expect(s.text).toBe('step text')
    expect(s.intro).toContain('Create a namespace')
    expect(s.steps[0]).toEqual({ number: 1, title: 'Create namespace team-a', hasSolution: true, hints: 2 })
    expect(s.hintAvailable).toBe(false)
    expect(s.hintAfter).toBe(2)
    expect(s.lastReason).toBeNull()
    expect(s.lab.progress).toMatchObject({ step: 1, steps: 1, finished: false })
  })

  it('after failed checks: the last reason, an unlocked hint, and revealed hints by their text', () => {
    const p = newProgress('namespaces', 'c1')
    p.failures['1'] = 2
    p.attempts['1'] = 2
    p.lastReason = 'namespace team-a not found'
    let s = labSession('c1', { lab: namespacesLab, progress: p, step: namespacesLab.steps[0], text: '' })
    expect(s.lastReason).toBe('namespace team-a not found')
    expect(s.hintAvailable).toBe(true)
    expect(s.hintsShown).toEqual([])
    p.hintsShown['1'] = 2
    s = labSession('c1', { lab: namespacesLab, progress: p, step: namespacesLab.steps[0], text: '' })
    expect(s.hintsShown).toHaveLength(2)
    expect(s.hintsShown[0]).toContain('kubectl create namespace NAME')
    expect(s.hintAvailable).toBe(false)
  })

  it('finished: past the last step, completed listed, no hint', () => {
    const p = newProgress('namespaces', 'c1')
    p.step = 2
    p.completed = [1]
    const s = labSession('c1', { lab: namespacesLab, progress: p, step: undefined, text: 'well done' })
    expect(s.finished).toBe(true)
    expect(s.completed).toEqual([1])
    expect(s.hintAvailable).toBe(false)
    expect(s.lab.progress?.finished).toBe(true)
  })

  it('finished: the time, checks and hints of the run for the finish page', () => {
    const p = newProgress('namespaces', 'c1')
    Object.assign(p, {
      step: 2,
      completed: [1],
      startedAt: '2026-01-01T10:00:00.000Z',
      finishedAt: '2026-01-01T10:07:30.000Z',
      attempts: { 1: 3 },
      hintsShown: { 1: 1 },
    })
    expect(labSession('c1', { lab: namespacesLab, progress: p, step: undefined, text: '' }).result).toEqual({
      seconds: 450,
      attempts: 3,
      hints: 1,
      startedAt: p.startedAt,
      finishedAt: p.finishedAt,
    })
    expect(labSession('c1', { lab: namespacesLab, progress: newProgress('namespaces', 'c1'), step: namespacesLab.steps[0], text: '' }).result).toBeNull()
  })

  it('catalogue cards carry the concept, needs and why a cluster cannot run the lab', () => {
    const c = labCard(namespacesLab, [{ need: 'runtime', why: 'simulated nodes report pods Running without starting containers' }], undefined)
    expect(c).toMatchObject({
      id: 'namespaces',
      title: 'Namespaces',
      concept: 'Create a namespace and label it for a team.',
      level: 'beginner',
      minutes: 5,
      steps: 1,
      progress: null,
    })
    expect(c.unmet).toEqual([{ need: 'runtime', why: 'simulated nodes report pods Running without starting containers' }])
    expect(needsOf({ ...namespacesLab, needs: { workers: 2, controlPlanes: 1, capabilities: ['runtime', 'metrics'], images: [] } })).toEqual([
      'workers>=2',
      'runtime',
      'metrics',
    ])
  })
})

describe('labs requests', () => {
  let home: string
  let handlers: Handlers
  const events: EventMessage[] = []

  beforeAll(() => {
    home = mkdtempSync(join(tmpdir(), 'kubelab-labs-unit-'))
    // A recorded but stopped cluster: enough to answer without running anything.
    mkdirSync(join(home, 'clusters', 'off'), { recursive: true })
    writeFileSync(
      join(home, 'clusters', 'off', 'cluster.json'),
      JSON.stringify({ name: 'off', provider: 'simulated', state: 'stopped', nodes: [], createdAt: '2025-01-01T00:00:00Z', ports: {}, settings: {} }),
    )
    const labs = new LabService({ manager: new ClusterManager({ env: { KUBELAB_HOME: home } }), projectRoot: root, publish: (m) => events.push(m) })
    handlers = createLabHandlers(labs) as unknown as Handlers
  })
  afterAll(() => rmSync(home, { recursive: true, force: true }))

  it('rejects bad params with bad_params naming the field', async () => {
    const r = await dispatch(handlers, 'labs.start', { cluster: 'off', lab: '../etc' })
    expect(r).toEqual({ ok: false, error: { code: 'bad_params', message: expect.stringContaining('lab must be a lower-case name') } })
    const s = await dispatch(handlers, 'labs.solution', { cluster: 'off', lab: 'namespaces', run: 'yes' })
    expect(s.ok).toBe(false)
    if (!s.ok) expect(s.error.message).toContain('run must be true or false')
  })

  it('lists the shipped catalogue without a cluster', async () => {
    const r = await dispatch(handlers, 'labs.catalogue', { cluster: null })
    expect(r.ok).toBe(true)
    if (!r.ok) return
    const cat = r.value as { labs: { id: string; unmet: unknown }[]; clusterProblem: string | null }
    expect(cat.labs.map((l) => l.id)).toEqual(expect.arrayContaining(['namespaces', 'scale-deployment']))
    expect(cat.labs.every((l) => l.unmet === null)).toBe(true)
    expect(cat.clusterProblem).toBeNull()
  })

  it('says why needs cannot be judged on a stopped cluster', async () => {
    const r = await dispatch(handlers, 'labs.catalogue', { cluster: 'off' })
    expect(r.ok).toBe(true)
    if (r.ok) expect((r.value as { clusterProblem: string }).clusterProblem).toContain('cluster off is stopped')
  })

  it('answers unknown clusters, unknown labs and labs not started with their own codes', async () => {
    expect(await dispatch(handlers, 'labs.check', { cluster: 'nope', lab: 'namespaces' })).toMatchObject({ ok: false, error: { code: 'cluster_not_found' } })
    expect(await dispatch(handlers, 'labs.start', { cluster: 'off', lab: 'no-such-lab' })).toMatchObject({ ok: false, error: { code: 'lab_not_found' } })
    expect(await dispatch(handlers, 'labs.check', { cluster: 'off', lab: 'namespaces' })).toMatchObject({
      ok: false,
      error: { code: 'lab_not_started', message: expect.stringContaining('press Start') },
    })
    expect(await dispatch(handlers, 'labs.active', { cluster: 'off' })).toEqual({ ok: true, value: null })
  })

  it('resumes a started lab from its progress on disk while the cluster is stopped; checks wait for it', async () => {
    const store = new ProgressStore(join(home, 'clusters', 'off', 'labs'))
    const p = newProgress('namespaces', 'off')
    p.failures['1'] = 1
    p.attempts['1'] = 1
    p.lastReason = 'namespace team-a not found'
    store.write(p)
    store.setActive('namespaces')
    const active = await dispatch(handlers, 'labs.active', { cluster: 'off' })
    expect(active).toMatchObject({ ok: true, value: { lab: { id: 'namespaces' }, step: 1, lastReason: 'namespace team-a not found', failures: 1 } })
    const hint = await dispatch(handlers, 'labs.hint', { cluster: 'off', lab: 'namespaces' })
    expect(hint).toMatchObject({ ok: true, value: { index: null, text: 'Press Check 1 more time (failed checks unlock hints).' } })
    const shown = await dispatch(handlers, 'labs.solution', { cluster: 'off', lab: 'namespaces', run: false })
    expect(shown).toMatchObject({ ok: true, value: { ran: null, script: expect.stringContaining('kubectl label namespace team-a team=a') } })
    expect(await dispatch(handlers, 'labs.check', { cluster: 'off', lab: 'namespaces' })).toMatchObject({
      ok: false,
      error: { code: 'cluster_not_running', message: expect.stringContaining('cluster off is stopped') },
    })
    expect(await dispatch(handlers, 'labs.solution', { cluster: 'off', lab: 'namespaces', run: true })).toMatchObject({
      ok: false,
      error: { code: 'cluster_not_running' },
    })
    const cat = await dispatch(handlers, 'labs.catalogue', { cluster: 'off' })
    expect(cat).toMatchObject({ ok: true, value: { active: 'namespaces' } })
    if (cat.ok)
      expect((cat.value as { labs: { id: string; progress: unknown }[] }).labs.find((l) => l.id === 'namespaces')?.progress).toMatchObject({
        step: 1,
        steps: 1,
        finished: false,
      })
    // A teacher's export, from disk while the cluster is stopped.
    const report = await dispatch(handlers, 'labs.progress', { cluster: 'off' })
    expect(report).toMatchObject({
      ok: true,
      value: {
        cluster: 'off',
        labs: [{ labId: 'namespaces', title: namespacesLab.title, steps: 1, completed: [], finished: false, finishedAt: null, attempts: 1, hints: 0 }],
      },
    })
    expect(await dispatch(handlers, 'labs.progress', { cluster: 'nope' })).toMatchObject({ ok: false, error: { code: 'cluster_not_found' } })
  })
})
