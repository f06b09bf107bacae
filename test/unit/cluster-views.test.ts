// Renderer logic of the Resources, Topology and Logs views (pure functions; rendering is
// covered by the Playwright test).
import { describe, expect, it } from 'vitest'
import type { ResourceRow } from '../../src-main/contract'
import { applyBatch, formatAge, rvNewer, visibleRows } from '../../src-renderer/src/resources/list-model'
import { boxSize, buildGraph, matches } from '../../src-renderer/src/topology/graph'
import { appendLines, downloadName, searchLines } from '../../src-renderer/src/logs/model'

function row(key: string, rv: string, extra: Partial<ResourceRow> = {}): ResourceRow {
  const [ns, name] = key.includes('/') ? key.split('/') : [null, key]
  return {
    key,
    uid: `uid-${key}`,
    name: name!,
    namespace: ns ?? null,
    resourceVersion: rv,
    createdAt: null,
    cells: [name!],
    tone: 'ok',
    status: '',
    labels: {},
    owners: [],
    nodeName: null,
    selector: null,
    ...extra,
  }
}

describe('live list', () => {
  it('compares resourceVersions as numbers', () => {
    expect(rvNewer('10', '9')).toBe(true)
    expect(rvNewer('9', '10')).toBe(false)
    expect(rvNewer('10', '10')).toBe(true)
  })

  it('applies batches and drops stale updates and deletes', () => {
    const rows = new Map([['d/a', row('d/a', '10')]])
    const tomb = new Map<string, string>()
    expect(applyBatch(rows, { upserts: [row('d/a', '8', { status: 'old' })], deletes: [] }, tomb)).toBe(0)
    expect(rows.get('d/a')!.resourceVersion).toBe('10')
    expect(applyBatch(rows, { upserts: [row('d/a', '12'), row('d/b', '13')], deletes: [] }, tomb)).toBe(2)
    expect(applyBatch(rows, { upserts: [], deletes: [{ key: 'd/b', resourceVersion: '11' }] }, tomb)).toBe(0)
    expect(rows.has('d/b')).toBe(true)
    expect(applyBatch(rows, { upserts: [], deletes: [{ key: 'd/b', resourceVersion: '20' }] }, tomb)).toBe(1)
    // A late update of the deleted object must not bring it back.
    expect(applyBatch(rows, { upserts: [row('d/b', '14')], deletes: [] }, tomb)).toBe(0)
    expect(rows.has('d/b')).toBe(false)
    expect(applyBatch(rows, { upserts: [row('d/b', '21')], deletes: [] }, tomb)).toBe(1)
  })

  it('formats ages like kubectl and filters rows', () => {
    const t0 = Date.parse('2025-01-01T00:00:00Z')
    expect(formatAge('2025-01-01T00:00:00Z', t0 + 45_000)).toBe('45s')
    expect(formatAge('2025-01-01T00:00:00Z', t0 + 200_000)).toBe('3m20s')
    expect(formatAge('2025-01-01T00:00:00Z', t0 + 3 * 86_400_000)).toBe('3d')
    expect(formatAge(null, t0)).toBe('<unknown>')
    const rows = [row('b/x', '1'), row('a/y', '1', { cells: ['y', 'Pending'] })]
    expect(visibleRows(rows, '').map((r) => r.key)).toEqual(['a/y', 'b/x'])
    expect(visibleRows(rows, 'pend').map((r) => r.key)).toEqual(['a/y'])
  })
})

describe('topology graph', () => {
  const nodes = [row('node-2', '1', { status: 'Ready' }), row('node-1', '1', { status: 'NotReady', tone: 'bad' })]
  const rs = row('d/web-1', '1', { owners: [{ kind: 'Deployment', name: 'web', uid: 'u' }] })
  const dep = row('d/web', '1')
  const pods = [
    row('d/web-1-a', '1', { nodeName: 'node-1', labels: { app: 'web' }, owners: [{ kind: 'ReplicaSet', name: 'web-1', uid: 'r' }] }),
    row('d/web-1-b', '1', { nodeName: 'node-2', labels: { app: 'web' }, owners: [{ kind: 'ReplicaSet', name: 'web-1', uid: 'r' }] }),
    row('d/web-1-c', '1', { nodeName: null, labels: { app: 'web' }, owners: [{ kind: 'ReplicaSet', name: 'web-1', uid: 'r' }], tone: 'busy' }),
    row('d/other', '1', { nodeName: 'node-1', labels: { app: 'db' } }),
  ]
  const svc = row('d/web', '1', { selector: { app: 'web' } })
  const g = buildGraph({ nodes, pods, services: [svc], replicasets: [rs], controllers: [{ type: 'deployments', row: dep }] })

  it('puts pods in their node boxes and unscheduled pods apart', () => {
    expect(g.boxes.map((b) => b.id)).toEqual(['node:node-1', 'node:node-2', 'unscheduled'])
    expect(g.boxes[0]).toMatchObject({ tone: 'bad', status: 'NotReady' })
    expect(g.pods.filter((p) => p.parent === 'node:node-1').map((p) => p.row.name)).toEqual(['other', 'web-1-a'])
    expect(g.pods.find((p) => p.row.name === 'web-1-c')!.parent).toBe('unscheduled')
  })

  it('links a Deployment to its pods through the ReplicaSet and a Service to the pods it selects', () => {
    const owns = g.edges.filter((e) => e.kind === 'owns').map((e) => `${e.source}>${e.target}`)
    expect(owns).toEqual(['ctl:deployments:d/web>pod:d/web-1-a', 'ctl:deployments:d/web>pod:d/web-1-b', 'ctl:deployments:d/web>pod:d/web-1-c'])
    expect(g.sides.map((s) => s.id)).toEqual(['ctl:deployments:d/web', 'svc:d/web'])
    const sel = g.edges
      .filter((e) => e.kind === 'selects')
      .map((e) => e.source)
      .sort()
    expect(sel).toEqual(['pod:d/web-1-a', 'pod:d/web-1-b', 'pod:d/web-1-c'])
    expect(matches({ app: 'web' }, { app: 'web', x: 'y' })).toBe(true)
    expect(matches(null, {})).toBe(false)
  })

  it('keeps the layout key when only pod status changes, and changes it when a box grows', () => {
    const changed = buildGraph({
      nodes,
      pods: pods.map((p) => ({ ...p, tone: 'bad' as const, resourceVersion: '9' })),
      services: [svc],
      replicasets: [rs],
      controllers: [{ type: 'deployments', row: dep }],
    })
    expect(changed.shapeKey).toBe(g.shapeKey)
    const more = Array.from({ length: 9 }, (_, i) => row(`d/p${i}`, '1', { nodeName: 'node-2' }))
    const grown = buildGraph({ nodes, pods: [...pods, ...more], services: [svc], replicasets: [rs], controllers: [{ type: 'deployments', row: dep }] })
    expect(grown.shapeKey).not.toBe(g.shapeKey)
    expect(boxSize(10).width).toBeGreaterThan(boxSize(1).width)
  })
})

describe('log pane', () => {
  it('appends whole lines and keeps the newest within the bound', () => {
    let lines: string[] = []
    lines = appendLines(lines, 'a\nb\n')
    lines = appendLines(lines, 'c\n', 2)
    expect(lines).toEqual(['b', 'c'])
  })

  it('searches case-insensitively, optionally showing only matches with their line numbers', () => {
    const { shown, hits } = searchLines(['GET /', 'error: boom', 'Error again'], 'error', true)
    expect(hits).toBe(2)
    expect(shown.map((s) => s.n)).toEqual([2, 3])
    expect(searchLines(['x', 'y'], '', true).shown).toHaveLength(2)
    expect(downloadName('default/web-1 (app)', new Date('2025-01-01T00:00:00Z'))).toBe('default_web-1_app-2025-01-01T00-00-00-000Z.log')
  })
})
