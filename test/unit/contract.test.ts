import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { homedir, tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { eventNames, isRequestName, requestNames } from '../../src-main/contract'
import type { ClusterSummary } from '../../src-main/contract'
import { createBackend, EventOutbox, kubelabHome } from '../../src-main/backend'
import { createHandlers, noParams, type Handlers } from '../../src-main/backend/handlers'
import { listClusters } from '../../src-main/clusters/registry'

let home: string

beforeEach(async () => {
  home = await mkdtemp(join(tmpdir(), 'kubelab-contract-'))
})
afterEach(async () => {
  await rm(home, { recursive: true, force: true })
})

async function writeCluster(name: string, content: string): Promise<void> {
  await mkdir(join(home, 'clusters', name), { recursive: true })
  await writeFile(join(home, 'clusters', name, 'cluster.json'), content)
}

describe('contract tables', () => {
  it('joins every concern module into one allow-list, names prefixed by their concern', () => {
    expect(requestNames).toContain('app.info')
    expect(requestNames).toContain('clusters.create')
    expect(requestNames).toContain('terminals.openHost')
    expect(eventNames).toContain('clusters.operation')
    expect(eventNames).toContain('terminals.output')
    for (const n of [...requestNames, ...eventNames]) expect(n).toMatch(/^(app|clusters|terminals|resources|logs|portforward|labs)\.[a-zA-Z]+$/)
    expect(new Set(requestNames).size).toBe(requestNames.length)
    expect(isRequestName('clusters.list')).toBe(true)
    expect(isRequestName('toString')).toBe(false)
    expect(isRequestName(42)).toBe(false)
  })
})

describe('kubelabHome', () => {
  it('honours KUBELAB_HOME and defaults to ~/.kubelab', () => {
    expect(kubelabHome({ KUBELAB_HOME: home })).toBe(home)
    expect(kubelabHome({})).toBe(join(homedir(), '.kubelab'))
    expect(kubelabHome({ KUBELAB_HOME: '  ' })).toBe(join(homedir(), '.kubelab'))
  })
})

describe('clusters.list', () => {
  it('is empty when the home or its clusters folder does not exist', async () => {
    expect(await listClusters(join(home, 'nowhere'))).toEqual([])
    expect(await listClusters(home)).toEqual([])
    await mkdir(join(home, 'clusters'))
    expect(await listClusters(home)).toEqual([])
  })

  it('reads each cluster.json, sorted by folder name, skipping folders without one', async () => {
    await writeCluster(
      'zeta',
      JSON.stringify({
        name: 'ignored-folder-name-wins',
        provider: 'multipass',
        state: 'running',
        nodes: [{ name: 'zeta-master' }, { name: 'zeta-worker-1' }],
        createdAt: '2025-03-01T10:00:00Z',
      }),
    )
    await writeCluster('alpha', '{}')
    await mkdir(join(home, 'clusters', 'half-made'))
    await writeFile(join(home, 'clusters', 'stray-file'), 'x')

    const list = await listClusters(home)
    expect(list.map((c) => c.name)).toEqual(['alpha', 'zeta'])
    expect(list[1]).toEqual<ClusterSummary>({
      name: 'zeta',
      dir: join(home, 'clusters', 'zeta'),
      provider: 'multipass',
      state: 'running',
      nodeCount: 2,
      createdAt: '2025-03-01T10:00:00Z',
      problem: null,
    })
    expect(list[0]).toMatchObject({ provider: null, state: 'unknown', nodeCount: null, createdAt: null, problem: null })
  })

  it('keeps an unreadable cluster in the list and says why', async () => {
    await writeCluster('bad-json', '{ not json')
    await writeCluster('array', '[1, 2]')
    const list = await listClusters(home)
    const byName = Object.fromEntries(list.map((c) => [c.name, c]))
    expect(byName['bad-json']?.problem).toMatch(/is not valid JSON/)
    expect(byName['bad-json']?.problem).toContain(join(home, 'clusters', 'bad-json', 'cluster.json'))
    expect(byName['array']?.problem).toMatch(/must hold a JSON object/)
    expect(byName['array']?.state).toBe('unknown')
  })

  it('is served by the backend from the KUBELAB_HOME of its environment, read per call', async () => {
    const backend = createBackend({ mode: 'browser', version: '9.9.9', env: { KUBELAB_HOME: home } })
    expect(await backend.request('clusters.list', undefined)).toEqual({ ok: true, value: [] })
    await writeCluster('lab', JSON.stringify({ provider: 'simulated', nodes: [{}, {}, {}] }))
    const reply = await backend.request('clusters.list', undefined)
    expect(reply.ok).toBe(true)
    if (reply.ok) expect(reply.value).toMatchObject([{ name: 'lab', provider: 'simulated', nodeCount: 3 }])
  })
})

describe('app.info', () => {
  it('reports version, platform, node and mode', async () => {
    const backend = createBackend({ mode: 'electron', version: '1.2.3', env: {} })
    expect(await backend.request('app.info', null)).toEqual({
      ok: true,
      value: { version: '1.2.3', platform: process.platform, node: process.version, mode: 'electron' },
    })
  })
})

describe('dispatch', () => {
  const backend = createBackend({ mode: 'browser', version: '0', env: { KUBELAB_HOME: '/nonexistent' } })

  it('answers unknown requests and bad params with error values', async () => {
    expect(await backend.request('clusters.destroy', undefined)).toMatchObject({
      ok: false,
      error: { code: 'unknown_request' },
    })
    expect(await backend.request('clusters.delete', undefined)).toMatchObject({
      ok: false,
      error: { code: 'bad_params', message: expect.stringContaining('clusters.delete takes an object') },
    })
    expect(await backend.request(undefined, undefined)).toMatchObject({ ok: false, error: { code: 'unknown_request' } })
    expect(await backend.request('app.info', { verbose: true })).toMatchObject({
      ok: false,
      error: { code: 'bad_params', message: expect.stringContaining('app.info takes no params') },
    })
  })

  it('turns a throwing handler into an internal error value and logs the call', async () => {
    const lines: string[] = []
    const handlers: Handlers = {
      ...createHandlers({ mode: 'browser', version: '0' }),
      'clusters.list': {
        parse: noParams('clusters.list'),
        run: async () => {
          throw new Error('disk on fire')
        },
      },
    }
    const failing = createBackend({ mode: 'browser', version: '0', handlers, log: (l) => lines.push(l) })
    expect(await failing.request('clusters.list', undefined)).toEqual({
      ok: false,
      error: { code: 'internal', message: 'disk on fire' },
    })
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatch(/^clusters\.list .*internal: disk on fire/)
  })
})

describe('EventOutbox', () => {
  it('queues until ready, then delivers in order; a reset queues again', () => {
    const seen: number[] = []
    const box = new EventOutbox<number>((n) => seen.push(n))
    box.push(1)
    box.push(2)
    expect(seen).toEqual([])
    expect(box.pending).toBe(2)
    box.markReady()
    expect(seen).toEqual([1, 2])
    box.push(3)
    expect(seen).toEqual([1, 2, 3])
    box.reset()
    box.push(4)
    expect(seen).toEqual([1, 2, 3])
    box.markReady()
    expect(seen).toEqual([1, 2, 3, 4])
  })

  it('bounds the queue, dropping the oldest and counting drops', () => {
    const seen: string[] = []
    const box = new EventOutbox<string>((s) => seen.push(s), 2)
    for (const s of ['a', 'b', 'c', 'd']) box.push(s)
    expect(box.dropped).toBe(2)
    box.markReady()
    expect(seen).toEqual(['c', 'd'])
  })
})
