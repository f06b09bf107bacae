// The grouped topology (many pods): workload groups per node or namespace, counts and health,
// opened groups sized for their cells, a grid of boxes, filters by name, label and status.
import { describe, expect, it } from 'vitest'
import type { ResourceRow, RowTone } from '../../src-main/contract'
import { SIDE_H, SIDE_W, type TopoInput } from '../../src-renderer/src/topology/graph'
import {
  boxHeight,
  buildGrouped,
  cellsPerRow,
  GBOX_HEAD,
  GBOX_PAD,
  GBOX_W,
  GROUP_GAP,
  GROUP_H,
  gridColumns,
  pathOf,
  podMatches,
  type Point,
  worstTone,
} from '../../src-renderer/src/topology/grouped'

function row(key: string, extra: Partial<ResourceRow> = {}): ResourceRow {
  const [ns, name] = key.includes('/') ? (key.split('/') as [string, string]) : [null, key]
  return {
    key,
    uid: key,
    name,
    namespace: ns,
    resourceVersion: '1',
    createdAt: null,
    cells: [],
    tone: 'ok',
    status: 'Running',
    labels: {},
    owners: [],
    nodeName: null,
    selector: null,
    ...extra,
  }
}

function cluster(nodes: number, podsPerNode: number): TopoInput {
  const nodeRows = Array.from({ length: nodes }, (_, i) => row(`node-${i + 1}`, { status: 'Ready' }))
  const pods: ResourceRow[] = []
  for (let n = 1; n <= nodes; n++)
    for (let i = 0; i < podsPerNode; i++) {
      const bad = i === 0 && n === 1
      pods.push(
        row(`default/web-abc-${n}-${i}`, {
          nodeName: `node-${n}`,
          labels: { app: 'web', tier: i % 2 ? 'a' : 'b' },
          owners: [{ kind: 'ReplicaSet', name: 'web-abc', uid: 'rs' }],
          tone: bad ? 'bad' : 'ok',
          status: bad ? 'CrashLoopBackOff' : 'Running',
        }),
      )
    }
  pods.push(row('tools/debug', { nodeName: 'node-1' }))
  pods.push(row('default/pending-1', { tone: 'busy', status: 'Pending', owners: [{ kind: 'ReplicaSet', name: 'web-abc', uid: 'rs' }] }))
  return {
    nodes: nodeRows,
    pods,
    services: [row('default/web', { selector: { app: 'web' } })],
    replicasets: [row('default/web-abc', { owners: [{ kind: 'Deployment', name: 'web', uid: 'd' }] })],
    controllers: [{ type: 'deployments', row: row('default/web') }],
  }
}

describe('grouped topology', () => {
  it('groups pods by workload inside each node box, with counts and health in kubectl words', () => {
    const g = buildGrouped(cluster(3, 100), { by: 'node', expanded: new Set() })
    expect(g.boxes.map((b) => b.id)).toEqual(['node:node-1', 'node:node-2', 'node:node-3', 'unscheduled'])
    const n1 = g.boxes[0]!
    expect(n1.podCount).toBe(101)
    expect(n1.groups.map((x) => [x.label, x.pods.length])).toEqual([
      ['tools: pods without a controller', 1],
      ['web', 100],
    ])
    const web = n1.groups.find((x) => x.label === 'web')!
    expect(web.id).toBe('node:node-1|deployments:default/web')
    expect(web.statuses).toEqual([
      { status: 'Running', tone: 'ok', count: 99 },
      { status: 'CrashLoopBackOff', tone: 'bad', count: 1 },
    ])
    expect(web.tone).toBe('bad')
    expect(g.boxes[3]!.groups[0]!.pods.map((p) => p.key)).toEqual(['default/pending-1'])
    // One line per controller/box and box/Service pair, not one per pod.
    expect(g.edges.filter((e) => e.kind === 'owns')).toHaveLength(4)
    expect(g.edges.filter((e) => e.kind === 'selects').map((e) => e.source)).toEqual(['node:node-1', 'node:node-2', 'node:node-3'])
    expect(g.sides.map((s) => s.id)).toEqual(['ctl:deployments:default/web', 'svc:default/web'])
  })

  it('sizes a box for its groups: closed groups are one line, an opened one a row of cells per cellsPerRow pods', () => {
    const closed = buildGrouped(cluster(1, 100), { by: 'node', expanded: new Set() })
    expect(closed.boxes[0]!.height).toBe(GBOX_HEAD + 2 * (GROUP_H + GROUP_GAP) + GBOX_PAD)
    const open = buildGrouped(cluster(1, 100), { by: 'node', expanded: new Set(['node:node-1|deployments:default/web']) })
    const rows = Math.ceil(100 / cellsPerRow())
    expect(open.boxes[0]!.height).toBeGreaterThan(closed.boxes[0]!.height + rows * 14)
    expect(open.boxes[0]!.groups.find((x) => x.label === 'web')!.expanded).toBe(true)
    expect(boxHeight([])).toBe(GBOX_HEAD + GROUP_H + GBOX_PAD)
    expect(open.shapeKey).not.toBe(closed.shapeKey)
  })

  it('places boxes in a roughly square grid between the controllers and the Services', () => {
    // 50 boxes of two closed groups: wider than tall, as a window is.
    const g = buildGrouped(cluster(50, 2), { by: 'node', expanded: new Set() })
    const cols = gridColumns(51, g.boxes[1]!.height)
    expect(cols).toBeGreaterThan(3)
    expect(cols).toBeLessThan(8)
    const xs = new Set(g.boxes.map((b) => g.positions.get(b.id)!.x))
    expect(xs.size).toBe(cols)
    const rows = Math.ceil(51 / cols)
    expect((cols * (GBOX_W + 28)) / (rows * (g.boxes[1]!.height + 28))).toBeGreaterThan(1.2)
    // Natural order: node-2 comes before node-10.
    expect(g.boxes.slice(0, 3).map((b) => b.label)).toEqual(['node-1', 'node-2', 'node-3'])
    const ctl = g.positions.get('ctl:deployments:default/web')!
    const svc = g.positions.get('svc:default/web')!
    const boxXs = [...xs]
    expect(ctl.x).toBeLessThan(Math.min(...boxXs))
    expect(svc.x).toBeGreaterThanOrEqual(Math.max(...boxXs) + GBOX_W)
    // Rows never overlap: each row starts below the tallest box of the row above.
    const first = g.boxes.slice(0, cols).map((b) => g.positions.get(b.id)!.y + b.height)
    expect(g.positions.get(g.boxes[cols]!.id)!.y).toBeGreaterThan(Math.max(...first))
  })

  it('routes every line through the gaps of the grid: no line crosses a box, each ends at its own', () => {
    // 11 boxes (three rows), one opened group making its row taller, two controllers, a Service.
    const input = cluster(10, 3)
    input.pods.push(row('default/api-1', { nodeName: 'node-7', labels: { app: 'api' }, owners: [{ kind: 'StatefulSet', name: 'api', uid: 's' }] }))
    input.controllers.push({ type: 'statefulsets', row: row('default/api') })
    const g = buildGrouped(input, { by: 'node', expanded: new Set(['node:node-5|deployments:default/web']) })
    expect(g.boxes.length).toBe(11)
    expect(new Set(g.boxes.map((b) => g.positions.get(b.id)!.y)).size).toBeGreaterThan(1)
    const rect = (id: string): { x: number; y: number; w: number; h: number } => {
      const p = g.positions.get(id)!
      const b = g.boxes.find((x) => x.id === id)
      return b ? { x: p.x, y: p.y, w: b.width, h: b.height } : { x: p.x, y: p.y, w: SIDE_W, h: SIDE_H }
    }
    // A segment crosses a rectangle's inside (its border excluded).
    const crosses = (a: Point, b: Point, r: { x: number; y: number; w: number; h: number }): boolean => {
      const [x0, x1] = [Math.min(a.x, b.x), Math.max(a.x, b.x)]
      const [y0, y1] = [Math.min(a.y, b.y), Math.max(a.y, b.y)]
      return x1 > r.x + 0.5 && x0 < r.x + r.w - 0.5 && y1 > r.y + 0.5 && y0 < r.y + r.h - 0.5
    }
    expect(g.edges.length).toBe(11 + 10 + 1) // web to every box, api to one; every node's box to the Service
    for (const e of g.edges) {
      expect(e.points.length).toBeGreaterThanOrEqual(4)
      for (let i = 1; i < e.points.length; i++) {
        const [a, b] = [e.points[i - 1]!, e.points[i]!]
        expect(a.x === b.x || a.y === b.y).toBe(true) // straight, across or down
        for (const id of [...g.boxes.map((x) => x.id), ...g.sides.map((x) => x.id)]) expect(crosses(a, b, rect(id)), `${e.id} crosses ${id}`).toBe(false)
      }
      // It starts on the edge of its source and ends on the edge of its target.
      const [s, t] = [rect(e.source), rect(e.target)]
      const first = e.points[0]!
      const last = e.points[e.points.length - 1]!
      expect(first.x).toBe(s.x + s.w)
      expect(first.y).toBeGreaterThan(s.y)
      expect(first.y).toBeLessThan(s.y + s.h)
      expect(last.x).toBe(t.x)
      expect(last.y).toBeGreaterThan(t.y)
      expect(last.y).toBeLessThan(t.y + t.h)
    }
    expect(
      pathOf([
        { x: 0, y: 1.25 },
        { x: 3, y: 1.25 },
      ]),
    ).toBe('M 0 1.3 L 3 1.3')
  })

  it('leaves out boxes without pods when asked (a filter is on)', () => {
    const input = cluster(3, 2)
    input.pods = input.pods.filter((p) => p.nodeName === 'node-2')
    expect(buildGrouped(input, { by: 'node', expanded: new Set() }).boxes).toHaveLength(3)
    expect(buildGrouped(input, { by: 'node', expanded: new Set(), hideEmpty: true }).boxes.map((b) => b.id)).toEqual(['node:node-2'])
  })

  it('groups per namespace on request, the box tone being its worst group', () => {
    const g = buildGrouped(cluster(2, 3), { by: 'namespace', expanded: new Set() })
    expect(g.boxes.map((b) => [b.label, b.podCount, b.tone])).toEqual([
      ['default', 7, 'bad'],
      ['tools', 1, 'ok'],
    ])
  })

  it('filters pods by words of their name, label=value and status colour', () => {
    const p = row('default/web-abc-1', { labels: { app: 'web', tier: 'a' }, tone: 'bad' as RowTone })
    expect(podMatches(p, { text: '', status: 'all' })).toBe(true)
    expect(podMatches(p, { text: 'WEB default/', status: 'all' })).toBe(true)
    expect(podMatches(p, { text: 'api', status: 'all' })).toBe(false)
    expect(podMatches(p, { text: 'app=web tier=a', status: 'bad' })).toBe(true)
    expect(podMatches(p, { text: 'tier=b', status: 'all' })).toBe(false)
    expect(podMatches(p, { text: '', status: 'ok' })).toBe(false)
    expect(worstTone(['idle', 'ok', 'busy'])).toBe('busy')
  })
})

describe('cluster card node states', () => {
  it('counts Ready nodes as kubectl words them and names a stopped machine at once', async () => {
    const { nodeStates } = await import('../../src-renderer/src/clusters/node-states')
    const m = (name: string, state: 'running' | 'stopped', role: 'worker' | 'control-plane' = 'worker') => ({ name, state, role })
    expect(nodeStates([], [])).toEqual({ text: '—', tone: 'idle', problems: [] })
    const all = [
      { name: 'cp', status: 'Ready' },
      { name: 'w1', status: 'Ready' },
      { name: 'w2', status: 'Ready' },
    ]
    expect(nodeStates(all, [m('cp', 'running', 'control-plane'), m('w1', 'running'), m('w2', 'running')])).toEqual({
      text: '3/3 Ready',
      tone: 'ok',
      problems: [],
    })
    // Just stopped: Kubernetes has not noticed yet, the card says so anyway.
    const justStopped = nodeStates(all, [m('cp', 'running'), m('w1', 'stopped'), m('w2', 'running')])
    expect(justStopped.text).toBe('3/3 Ready')
    expect(justStopped.tone).toBe('busy')
    expect(justStopped.problems[0]).toMatch(/^w1 stopped/)
    const later = nodeStates([all[0]!, { name: 'w1', status: 'NotReady' }, { name: 'w2', status: 'SchedulingDisabled' }], [m('w1', 'stopped')])
    expect(later).toEqual({ text: '2/3 Ready', tone: 'busy', problems: ['w1 NotReady (machine stopped)', 'w2 Ready,SchedulingDisabled'] })
  })
})
