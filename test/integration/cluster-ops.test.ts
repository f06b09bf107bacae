// Cluster operations through the backend contract with the simulated provider: events in
// order, a failing create with hints and Retry, Cancel removing a half-made cluster.
import { existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { spawnSync } from 'node:child_process'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { ClusterOperation, WireEvent } from '../../src-main/contract'
import { createBackend, type Backend } from '../../src-main/backend'

const root = join(import.meta.dirname, '..', '..')
let home: string
let backend: Backend
let events: WireEvent[]

beforeEach(async () => {
  home = await mkdtemp(join(tmpdir(), 'kubelab-ops-'))
  backend = createBackend({ mode: 'browser', version: '0', env: { ...process.env, KUBELAB_HOME: home } })
  events = []
  backend.subscribe((m) => events.push(m))
})
afterEach(async () => {
  await backend.close()
  for (const name of ['ops-a', 'ops-b']) {
    if (existsSync(join(home, 'clusters', name)))
      spawnSync(process.execPath, [join(root, 'bin', 'kubelab.mjs'), 'delete', name], { env: { ...process.env, KUBELAB_HOME: home } })
  }
  await rm(home, { recursive: true, force: true })
})

function finished(id: string, ms = 120_000): Promise<ClusterOperation> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`operation ${id} did not finish`)), ms)
    const check = (): void => {
      const last = events.filter((e) => e.name === 'clusters.operation' && (e.payload as ClusterOperation).id === id).at(-1)?.payload as
        ClusterOperation | undefined
      if (last && last.state !== 'running') {
        clearTimeout(timer)
        resolve(last)
      } else setTimeout(check, 50)
    }
    check()
  })
}

const params = (name: string, provider = 'simulated') => ({ name, provider, workers: 1, cpu: '2', memory: '4Gi' })

describe('cluster operations', () => {
  it('fails a create whose preflight fails, with the reason and hints, and retries it', async () => {
    const reply = await backend.request('clusters.create', params('ops-a', 'nope'))
    expect(reply.ok).toBe(true)
    const op = await finished((reply as { ok: true; value: ClusterOperation }).value.id)
    expect(op.state).toBe('failed')
    expect(op.steps[0]).toMatchObject({ id: 'preflight', state: 'failed' })
    expect(op.error).toMatch(/unknown provider "nope"/)
    expect(op.hints.at(-1)).toMatch(/Delete the half-created cluster/)
    expect(op.steps[0]!.lines.some((l) => l.startsWith('FAIL'))).toBe(true)
    const again = await backend.request('clusters.retry', { id: op.id })
    expect(again.ok).toBe(true)
    const second = await finished((again as { ok: true; value: ClusterOperation }).value.id)
    expect(second.id).not.toBe(op.id)
    expect(second.params).toEqual(op.params)
  })

  it('creates with steps in order, refuses a second operation meanwhile, then deletes', async () => {
    const reply = (await backend.request('clusters.create', params('ops-b'))) as { ok: true; value: ClusterOperation }
    expect(await backend.request('clusters.stop', { name: 'ops-b' })).toMatchObject({ ok: false, error: { code: 'busy' } })
    const op = await finished(reply.value.id)
    expect(op.state).toBe('succeeded')
    const begun = events
      .filter((e) => e.name === 'clusters.operation')
      .map((e) => (e.payload as ClusterOperation).steps.find((s) => s.state === 'running')?.id)
      .filter((x, i, a) => x && a.indexOf(x) === i)
    expect(begun).toEqual(['preflight', 'machines', 'control-plane', 'nodes'])
    expect(events.some((e) => e.name === 'clusters.line')).toBe(true)
    // The list is re-read after the operation's last event: it follows shortly.
    await expect
      .poll(() =>
        events.some(
          (e) => e.name === 'clusters.changed' && (e.payload as { name: string; state: string }[]).some((c) => c.name === 'ops-b' && c.state === 'running'),
        ),
      )
      .toBe(true)
    const del = (await backend.request('clusters.delete', { name: 'ops-b' })) as { ok: true; value: ClusterOperation }
    expect((await finished(del.value.id)).state).toBe('succeeded')
    expect(existsSync(join(home, 'clusters', 'ops-b'))).toBe(false)
  }, 180_000)

  it('publishes clusters created and stopped outside the backend (kubelab in a shell)', async () => {
    const cli = (...args: string[]) => {
      const r = spawnSync(process.execPath, [join(root, 'bin', 'kubelab.mjs'), ...args], { env: { ...process.env, KUBELAB_HOME: home }, encoding: 'utf8' })
      expect(r.status, r.stderr).toBe(0)
    }
    const announced = (state: string) => () =>
      events.some((e) => e.name === 'clusters.changed' && (e.payload as { name: string; state: string }[]).some((c) => c.name === 'ops-a' && c.state === state))
    cli('create', 'ops-a', '--provider', 'simulated', '--workers', '0')
    await expect.poll(announced('running'), { timeout: 10_000 }).toBe(true)
    cli('stop', 'ops-a')
    await expect.poll(announced('stopped'), { timeout: 10_000 }).toBe(true)
  }, 120_000)

  it('cancels a running create and removes the half-made cluster', async () => {
    const reply = (await backend.request('clusters.create', params('ops-a'))) as { ok: true; value: ClusterOperation }
    // Cancel once the control plane is on its way.
    await new Promise<void>((resolve) => {
      const check = (): void => {
        if (
          events.some(
            (e) => e.name === 'clusters.operation' && (e.payload as ClusterOperation).steps.some((s) => s.id === 'control-plane' && s.state === 'running'),
          )
        )
          resolve()
        else setTimeout(check, 20)
      }
      check()
    })
    const cancelled = await backend.request('clusters.cancel', { id: reply.value.id })
    expect(cancelled).toMatchObject({ ok: true, value: { state: 'cancelled' } })
    expect(existsSync(join(home, 'clusters', 'ops-a'))).toBe(false)
    expect(await backend.request('clusters.list', undefined)).toEqual({ ok: true, value: [] })
  }, 120_000)
})
