// The lab panel's renderer logic: the labs store against a fake backend bridge (what it asks,
// what it shows while busy, errors kept as values), and the step markdown with its Run buttons.
// Rendering in a browser is covered by test/ui/labs.test.ts.
import { createPinia, setActivePinia } from 'pinia'
import { beforeEach, describe, expect, it, vi } from 'vitest'
import type { LabCard, LabSession, Reply } from '../../src-main/contract'

type Answer = (params: unknown) => Reply<unknown> | Promise<Reply<unknown>>
const fake = vi.hoisted(() => ({
  calls: [] as { name: string; params: unknown }[],
  answers: new Map<string, (params: unknown) => unknown>(),
  listeners: new Map<string, Set<(payload: unknown) => void>>(),
}))

vi.mock('../../src-renderer/src/api', () => ({
  api: {
    async request(name: string, params?: unknown) {
      fake.calls.push({ name, params })
      const answer = fake.answers.get(name)
      if (!answer) return { ok: false, error: { code: 'unexpected', message: `test did not expect ${name}` } }
      return answer(params)
    },
    on(name: string, listener: (payload: unknown) => void) {
      const set = fake.listeners.get(name) ?? new Set()
      set.add(listener)
      fake.listeners.set(name, set)
      return () => set.delete(listener)
    },
    ready() {},
  },
}))

const { useLabsStore } = await import('../../src-renderer/src/stores/labs')
const { commandInput, labMarkdownToHtml, solutionForReading, solutionForShell } = await import('../../src-renderer/src/components/labs/markdown')

function answer(name: string, fn: Answer): void {
  fake.answers.set(name, fn)
}

function emit(name: string, payload: unknown): void {
  for (const l of fake.listeners.get(name) ?? []) l(payload)
}

const card: LabCard = {
  id: 'namespaces',
  title: 'Namespaces',
  concept: 'Create a namespace.',
  level: 'beginner',
  minutes: 5,
  steps: 2,
  needs: [],
  unmet: [],
  progress: null,
}

function session(over: Partial<LabSession> = {}): LabSession {
  return {
    cluster: 'c1',
    lab: card,
    steps: [
      { number: 1, title: 'Create', hasSolution: true, hints: 2 },
      { number: 2, title: 'Label', hasSolution: true, hints: 0 },
    ],
    step: 1,
    completed: [],
    finished: false,
    text: 'Make it.',
    intro: '',
    failures: 0,
    hintAfter: 2,
    hintsShown: [],
    hintAvailable: false,
    lastReason: null,
    ...over,
  }
}

/** Resolves a request later, so a test can look at the store while it is in flight. */
function deferred(): { promise: Promise<Reply<unknown>>; resolve: (r: Reply<unknown>) => void } {
  let resolve!: (r: Reply<unknown>) => void
  const promise = new Promise<Reply<unknown>>((r) => (resolve = r))
  return { promise, resolve }
}

beforeEach(() => {
  setActivePinia(createPinia())
  fake.calls.length = 0
  fake.answers.clear()
})

describe('labs store', () => {
  it('loads the catalogue for a cluster and resumes the lab the runner last started there', async () => {
    answer('labs.catalogue', () => ({ ok: true, value: { cluster: 'c1', labs: [card], broken: [], clusterProblem: null, active: 'namespaces' } }))
    answer('labs.active', () => ({ ok: true, value: session({ step: 2, completed: [1], lastReason: 'label missing', failures: 1 }) }))
    const labs = useLabsStore()
    await labs.show('c1')
    expect(fake.calls.map((c) => c.name)).toEqual(['labs.catalogue', 'labs.active'])
    expect(fake.calls[0]!.params).toEqual({ cluster: 'c1' })
    expect(labs.catalogue?.labs[0]?.id).toBe('namespaces')
    expect(labs.session?.step).toBe(2)
    expect(labs.stepLabel).toBe('Step 2 of 2')
  })

  it('does not reopen a finished lab, and keeps a catalogue error as the error value', async () => {
    answer('labs.catalogue', () => ({ ok: false, error: { code: 'cluster_not_found', message: 'no cluster named c1' } }))
    answer('labs.active', () => ({ ok: true, value: session({ step: 3, completed: [1, 2], finished: true }) }))
    const labs = useLabsStore()
    await labs.show('c1')
    expect(labs.catalogueError).toEqual({ code: 'cluster_not_found', message: 'no cluster named c1' })
    expect(labs.session).toBeNull()
  })

  it('shows start progress from labs.log lines of this lab only, then the session', async () => {
    const d = deferred()
    answer('labs.catalogue', () => ({ ok: true, value: { cluster: 'c1', labs: [card], broken: [], clusterProblem: null, active: null } }))
    answer('labs.active', () => ({ ok: true, value: null }))
    answer('labs.start', () => d.promise)
    const labs = useLabsStore()
    labs.subscribe()
    await labs.show('c1')
    const started = labs.start('namespaces')
    expect(labs.busy).toBe('start')
    expect(labs.starting).toBe('namespaces')
    emit('labs.log', { cluster: 'c1', lab: 'namespaces', operation: 'start', line: 'running the setup scripts' })
    emit('labs.log', { cluster: 'c1', lab: 'other', operation: 'start', line: 'not ours' })
    emit('labs.log', { cluster: 'c2', lab: 'namespaces', operation: 'start', line: 'other cluster' })
    expect(labs.log).toEqual(['running the setup scripts'])
    d.resolve({ ok: true, value: session() })
    await started
    expect(labs.busy).toBeNull()
    expect(labs.session?.lab.id).toBe('namespaces')
    expect(labs.starting).toBeNull()
  })

  it('keeps a failed start as the contract error (needs not met) with the lab still named', async () => {
    answer('labs.catalogue', () => ({ ok: true, value: { cluster: 'c1', labs: [card], broken: [], clusterProblem: null, active: null } }))
    answer('labs.active', () => ({ ok: true, value: null }))
    answer('labs.start', () => ({
      ok: false,
      error: { code: 'needs_not_met', message: 'lab x cannot run on this cluster:\n  - needs runtime: simulated nodes ...' },
    }))
    const labs = useLabsStore()
    await labs.show('c1')
    await labs.start('namespaces')
    expect(labs.session).toBeNull()
    expect(labs.starting).toBe('namespaces')
    expect(labs.error?.code).toBe('needs_not_met')
  })

  it('Check is busy while it runs, shows the reason on failure and a pass message on success', async () => {
    const labs = useLabsStore()
    labs.cluster = 'c1'
    labs.session = session()
    const d = deferred()
    answer('labs.check', () => d.promise)
    const checking = labs.runCheck()
    expect(labs.busy).toBe('check')
    // A second press while busy sends nothing.
    await labs.runCheck()
    expect(fake.calls.filter((c) => c.name === 'labs.check')).toHaveLength(1)
    d.resolve({
      ok: true,
      value: {
        outcome: 'failed',
        step: 1,
        reason: 'namespace team-a not found',
        attempt: 1,
        session: session({ failures: 1, lastReason: 'namespace team-a not found' }),
      },
    })
    await checking
    expect(labs.busy).toBeNull()
    expect(labs.check).toEqual({ outcome: 'failed', step: 1, message: 'namespace team-a not found' })

    answer('labs.catalogue', () => ({ ok: true, value: { cluster: 'c1', labs: [card], broken: [], clusterProblem: null, active: 'namespaces' } }))
    answer('labs.check', () => ({ ok: true, value: { outcome: 'passed', step: 1, reason: null, attempt: 2, session: session({ step: 2, completed: [1] }) } }))
    await labs.runCheck()
    expect(labs.check).toEqual({ outcome: 'passed', step: 1, message: 'Step 1 passed. On to step 2.' })
    expect(labs.stepLabel).toBe('Step 2 of 2')

    answer('labs.check', () => ({
      ok: true,
      value: { outcome: 'passed', step: 2, reason: null, attempt: 1, session: session({ step: 3, completed: [1, 2], finished: true }) },
    }))
    await labs.runCheck()
    expect(labs.check?.message).toBe('Step 2 passed. You finished the lab.')
    expect(labs.stepLabel).toBe('Finished · 2 of 2 steps')
  })

  it("Hint shows the runner's sentence while locked and the hint once revealed", async () => {
    const labs = useLabsStore()
    labs.cluster = 'c1'
    labs.session = session()
    answer('labs.hint', () => ({
      ok: true,
      value: { text: 'Press Check 2 more times (failed checks unlock hints).', index: null, remaining: 2, session: session() },
    }))
    await labs.hint()
    expect(labs.hintNote).toBe('Press Check 2 more times (failed checks unlock hints).')
    answer('labs.hint', () => ({
      ok: true,
      value: {
        text: 'Use kubectl create namespace.',
        index: 1,
        remaining: 1,
        session: session({ failures: 2, hintsShown: ['Use kubectl create namespace.'] }),
      },
    }))
    await labs.hint()
    expect(labs.hintNote).toBeNull()
    expect(labs.session?.hintsShown).toEqual(['Use kubectl create namespace.'])
  })

  it('Solution shows the script, runs it on request, and an error stays a value', async () => {
    const labs = useLabsStore()
    labs.cluster = 'c1'
    labs.session = session()
    answer('labs.solution', (p) => {
      const run = (p as { run: boolean }).run
      return {
        ok: true,
        value: { script: 'kubectl create ns team-a\n', ran: run ? { code: 0, output: 'namespace/team-a created' } : null, session: session() },
      }
    })
    await labs.showSolution(false)
    expect(labs.solution).toEqual({ step: 1, script: 'kubectl create ns team-a\n', ran: null })
    await labs.showSolution(true)
    expect(fake.calls.at(-1)!.params).toEqual({ cluster: 'c1', lab: 'namespaces', run: true })
    expect(labs.solution?.ran).toEqual({ code: 0, output: 'namespace/team-a created' })
    answer('labs.reset', () => ({
      ok: false,
      error: { code: 'lab_reset_failed', message: 'lab namespaces: step 1 background failed (exit 1, host shell): boom' },
    }))
    await labs.reset()
    expect(labs.error?.code).toBe('lab_reset_failed')
    expect(labs.solution).toBeNull()
    expect(labs.session?.lab.id).toBe('namespaces')
  })

  it('switching cluster drops the open lab and ignores replies for the old cluster', async () => {
    const d = deferred()
    answer('labs.catalogue', (p) =>
      (p as { cluster: string }).cluster === 'old'
        ? d.promise
        : { ok: true, value: { cluster: 'new', labs: [], broken: [], clusterProblem: null, active: null } },
    )
    answer('labs.active', () => ({ ok: true, value: null }))
    const labs = useLabsStore()
    const old = labs.show('old')
    labs.session = session({ cluster: 'old' })
    await labs.show('new')
    d.resolve({ ok: true, value: { cluster: 'old', labs: [card], broken: [], clusterProblem: null, active: null } })
    await old
    expect(labs.cluster).toBe('new')
    expect(labs.session).toBeNull()
    expect(labs.catalogue?.cluster).toBe('new')
  })
})

describe('lab step markdown', () => {
  it('turns Killercoda exec markers into Run buttons and keeps plain code plain', () => {
    const html = labMarkdownToHtml('Make `team-a`.\n\n`kubectl create namespace team-a`{{exec}} and `ls`{{}} and `pwd`{{copy}}')
    expect(html).toContain('<code>team-a</code>')
    expect(html).toContain(
      '<span class="lab-cmd inline" data-lab-cmd="exec"><code>kubectl create namespace team-a</code><button type="button" class="lab-action" data-lab-action="exec"',
    )
    expect(html).toContain(' <code>ls</code> ')
    expect(html).toContain('data-lab-action="copy"')
    expect(html).not.toContain('{{')
  })

  it('fenced blocks: marker, interrupt, shell blocks runnable, yaml not; code is escaped', () => {
    const html = labMarkdownToHtml('```\nkubectl get pods -w\n```{{exec interrupt}}\n\n```bash\necho "<b>"\n```\n\n```yaml\nkind: Pod\n```\n')
    expect(html).toContain('data-lab-cmd="interrupt"><pre><code>kubectl get pods -w</code></pre>')
    expect(html).toContain('<div class="lab-cmd block" data-lab-cmd="exec"><pre><code class="language-bash">echo &quot;&lt;b&gt;&quot;</code></pre>')
    expect(html).toContain('<pre><code class="language-yaml">kind: Pod</code></pre>')
    expect(html.match(/data-lab-action=/g)).toHaveLength(2)
  })

  it('types commands with Enter, Ctrl-C first for interrupt, and solutions without set -e', () => {
    expect(commandInput('kubectl get ns', 'exec')).toBe('kubectl get ns\r')
    expect(commandInput('a\nb\n', 'exec')).toBe('a\rb\r')
    expect(commandInput('top', 'interrupt')).toBe('\x03top\r')
    expect(solutionForShell('#!/usr/bin/env bash\nset -eu\n# make it\nkubectl create ns a\n\nkubectl label ns a x=y\n')).toBe(
      'kubectl create ns a\nkubectl label ns a x=y',
    )
    expect(solutionForShell('set -o pipefail\nkubectl get x')).toBe('set -o pipefail\nkubectl get x')
    // Shown in the panel: only the boilerplate at the top goes; comments and the rest stay.
    expect(solutionForReading('#!/usr/bin/env bash\nset -euo pipefail\nset -o pipefail\n\n# make it\nkubectl create ns a\n\nset -e\n')).toBe(
      '# make it\nkubectl create ns a\n\nset -e',
    )
    expect(solutionForReading('kubectl get x\n')).toBe('kubectl get x')
  })
})
