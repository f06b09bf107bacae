import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { tempDir } from '../helpers/temp-dir'
import { CancelledError, formatStepEvent, StepError, StepRunner, type StepEvent } from '../../src-main/ssh-provisioning/steps'

function runner(extra: { cancelled?: () => string | undefined } = {}) {
  const logDir = tempDir('kl-steps-')
  const events: StepEvent[] = []
  let t = 1000
  const r = new StepRunner({ logDir, onEvent: (e) => events.push(e), now: () => (t += 10), ...extra })
  return { r, events, logDir }
}

describe('StepRunner', () => {
  it('emits start, lines and done with elapsed times, and logs per node', async () => {
    const { r, events, logDir } = runner()
    const v = await r.run('upload', 'node-1', async (ctx) => {
      ctx.line('a\nb\n\n')
      return 42
    })
    expect(v).toBe(42)
    expect(events.map((e) => [e.status, e.line])).toEqual([
      ['start', undefined],
      ['line', 'a'],
      ['line', 'b'],
      ['done', undefined],
    ])
    expect(events.every((e) => e.node === 'node-1' && e.step === 'upload')).toBe(true)
    expect(events[3]!.elapsedMs).toBeGreaterThan(events[1]!.elapsedMs)
    const log = readFileSync(join(logDir, 'node-1.log'), 'utf8')
    expect(log).toContain('upload: a')
    expect(log).toContain('upload: done')
    expect(r.timings).toEqual([{ step: 'upload', node: 'node-1', ms: expect.any(Number), ok: true }])
  })

  it('turns a failure into an error naming the step, node, last 20 lines and hint', async () => {
    const { r, events } = runner()
    const err = await r
      .run('install', 'w1', async (ctx) => {
        for (let i = 1; i <= 25; i++) ctx.line(`line ${i}`)
        ctx.hint('install containerd')
        throw new Error('exit 1')
      })
      .catch((e: unknown) => e)
    expect(err).toBeInstanceOf(StepError)
    const e = err as StepError
    expect(e.lastLines).toHaveLength(20)
    expect(e.lastLines[0]).toBe('line 6')
    expect(e.message).toMatch(/^step "install" on node w1 failed: exit 1/)
    expect(e.message).toContain('what to try: install containerd')
    expect(events.at(-1)).toMatchObject({ status: 'failed', line: 'exit 1' })
    expect(r.timings[0]!.ok).toBe(false)
  })

  it('refuses to start a step once cancelled', async () => {
    let why: string | undefined
    const { r } = runner({ cancelled: () => why })
    await r.run('one', undefined, async () => undefined)
    why = 'SIGINT'
    await expect(r.run('two', undefined, async () => undefined)).rejects.toBeInstanceOf(CancelledError)
  })

  it('formats events for the CLI', () => {
    expect(formatStepEvent({ step: 'upload', node: 'n', status: 'done', elapsedMs: 1500 })).toBe('[n] upload done (1.5s)')
    expect(formatStepEvent({ step: 'upload', status: 'line', elapsedMs: 1, line: 'x' })).toBe('  | x')
  })
})
