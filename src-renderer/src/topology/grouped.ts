// The topology at scale: pods are not graph nodes but small cells inside their box, gathered in
// groups by workload (collapsed to a count and a health summary until opened), and the boxes
// (one per node, or one per namespace) sit in a grid instead of one long column. Sizes and
// positions are computed here, synchronously, so opening a group or a pod change never needs
// the layout engine. Pure: the view only draws it.
import type { ResourceRow, RowTone } from '@contract'
import { controllers, matches, repeatedNames, SIDE_H, SIDE_W, type Positions, type TopoEdge, type TopoInput, type TopoSide } from './graph'

export type GroupBy = 'node' | 'namespace'
export type StatusFilter = 'all' | RowTone

/** Above this many shown pods (or boxes) the topology groups pods unless told otherwise. */
export const GROUP_PODS_AT = 150
export const GROUP_BOXES_AT = 12

export const GBOX_W = 400
/** The box's border (CSS `.topo-box`: 2px), inside its width. */
export const GBOX_BORDER = 2
export const GBOX_HEAD = 38
export const GBOX_PAD = 10
export const GROUP_H = 30
export const GROUP_GAP = 6
export const CELL = 14
export const CELL_GAP = 3
export const GRID_GAP = 28
/** Space between the side columns (controllers, Services) and the grid of boxes. */
export const COLUMN_GAP = 90

export interface PodFilter {
  /** Words that must all match: `key=value` matches a label, anything else a part of `namespace/name`. */
  text: string
  status: StatusFilter
}

/** Whether a pod passes the filter. Case-insensitive; label values compare exactly. */
export function podMatches(pod: ResourceRow, podFilter: PodFilter): boolean {
  if (podFilter.status !== 'all' && pod.tone !== podFilter.status) return false
  for (const word of podFilter.text.trim().split(/\s+/)) {
    if (word === '') continue
    const eq = word.indexOf('=')
    if (eq > 0) {
      const key = word.slice(0, eq)
      const value = word.slice(eq + 1)
      if (pod.labels[key] !== value) return false
    } else if (!pod.key.toLowerCase().includes(word.toLowerCase())) return false
  }
  return true
}

export interface PodGroup {
  /** Stable across pod churn: box + controller (or namespace for pods without one). */
  id: string
  /** `deployments:ns/name`, … ; null for pods no shown controller owns. */
  controller: string | null
  kind: string
  label: string
  pods: ResourceRow[]
  /** Status words as kubectl prints them, most frequent first. */
  statuses: { status: string; tone: RowTone; count: number }[]
  /** The worst tone among the pods: bad > busy > ok > idle. */
  tone: RowTone
  expanded: boolean
}

export interface GroupBox {
  id: string
  kind: 'node' | 'unscheduled' | 'namespace'
  label: string
  tone: RowTone
  status: string
  groups: PodGroup[]
  podCount: number
  width: number
  height: number
}

export interface Point {
  x: number
  y: number
}

/** A line with its route: straight segments through the gaps between boxes, never across one. */
export interface RoutedEdge extends TopoEdge {
  points: Point[]
}

export interface GroupedGraph {
  boxes: GroupBox[]
  sides: TopoSide[]
  /** Controller → box and box → Service, one line per pair however many pods. */
  edges: RoutedEdge[]
  positions: Positions
  /** Changes only when a shape's place or size changes (not on a pod's status). */
  shapeKey: string
}

const toneRank: Record<RowTone, number> = { bad: 3, busy: 2, ok: 1, idle: 0 }

export function worstTone(tones: Iterable<RowTone>): RowTone {
  let worst: RowTone = 'idle'
  for (const t of tones) if (toneRank[t] > toneRank[worst]) worst = t
  return worst
}

/** Cells per row inside an opened group. */
export function cellsPerRow(): number {
  return Math.floor((GBOX_W - 2 * GBOX_PAD - 2 * GBOX_BORDER + CELL_GAP) / (CELL + CELL_GAP))
}

export function groupHeight(podGroup: Pick<PodGroup, 'pods' | 'expanded'>): number {
  if (!podGroup.expanded) return GROUP_H
  const rows = Math.ceil(podGroup.pods.length / cellsPerRow())
  return GROUP_H + rows * (CELL + CELL_GAP) + CELL_GAP
}

export function boxHeight(groups: readonly Pick<PodGroup, 'pods' | 'expanded'>[]): number {
  const inner = groups.reduce((h, g) => h + groupHeight(g) + GROUP_GAP, 0)
  return GBOX_HEAD + Math.max(inner, GROUP_H) + GBOX_PAD
}

function summarise(pods: readonly ResourceRow[]): { statuses: PodGroup['statuses']; tone: RowTone } {
  const by = new Map<string, { status: string; tone: RowTone; count: number }>()
  for (const p of pods) {
    const s = by.get(p.status)
    if (s) s.count++
    else by.set(p.status, { status: p.status, tone: p.tone, count: 1 })
  }
  const statuses = [...by.values()].sort((a, b) => b.count - a.count || a.status.localeCompare(b.status))
  return { statuses, tone: worstTone(statuses.map((s) => s.tone)) }
}

/** The shape of the view the grid is fitted into (wider than tall, as the window is). */
export const VIEW_ASPECT = 1.8
/** Boxes up to which each controller/box and box/Service pair gets a line; above, hovering shows them. */
export const EDGES_UP_TO = GROUP_BOXES_AT

/** Columns of the box grid, chosen so the whole grid is about as wide as VIEW_ASPECT says. */
export function gridColumns(boxes: number, avgHeight = GROUP_H * 2 + GBOX_HEAD): number {
  if (boxes <= 1) return 1
  const cols = Math.round(Math.sqrt((boxes * (avgHeight + GRID_GAP) * VIEW_ASPECT) / (GBOX_W + GRID_GAP)))
  return Math.max(1, Math.min(boxes, cols))
}

/** Names as people sort them: node-2 before node-10. */
const byName = (a: string, b: string): number => a.localeCompare(b, undefined, { numeric: true })

export interface GroupOptions {
  by: GroupBy
  /** Ids of the groups the user opened. */
  expanded: ReadonlySet<string>
  /** Leave out boxes without pods (while a filter is on, so 50 empty nodes do not hide the match). */
  hideEmpty?: boolean
}

export function buildGrouped(input: TopoInput, opts: GroupOptions): GroupedGraph {
  const repeated = repeatedNames([...input.services, ...input.controllers.map((c) => c.row)])
  const labelOf = (r: ResourceRow): string => (repeated.has(r.name) && r.namespace ? `${r.namespace}/${r.name}` : r.name)
  const { controllerOf, sideRows } = controllers(input)

  // Boxes in a stable order: nodes (or namespaces) by name, "Not scheduled" last.
  const members = new Map<string, ResourceRow[]>()
  const heads = new Map<string, Omit<GroupBox, 'groups' | 'podCount' | 'width' | 'height'>>()
  if (opts.by === 'node') {
    for (const n of [...input.nodes].sort((a, b) => byName(a.name, b.name))) {
      heads.set(`node:${n.name}`, { id: `node:${n.name}`, kind: 'node', label: n.name, tone: n.tone, status: n.status })
      members.set(`node:${n.name}`, [])
    }
  }
  for (const p of input.pods) {
    let id: string
    if (opts.by === 'namespace') {
      id = `ns:${p.namespace ?? ''}`
      if (!heads.has(id)) heads.set(id, { id, kind: 'namespace', label: p.namespace ?? '', tone: 'ok', status: '' })
    } else {
      id = p.nodeName && heads.has(`node:${p.nodeName}`) ? `node:${p.nodeName}` : 'unscheduled'
      if (!heads.has(id)) heads.set(id, { id, kind: 'unscheduled', label: 'Not scheduled', tone: 'busy', status: 'Pending' })
    }
    let list = members.get(id)
    if (!list) members.set(id, (list = []))
    list.push(p)
  }
  const order = [...heads.keys()].sort((a, b) => {
    if (a === 'unscheduled' || b === 'unscheduled') return a === 'unscheduled' ? 1 : -1
    return byName(a, b)
  })

  const boxes: GroupBox[] = []
  const links = new Set<string>()
  const usedControllers = new Set<string>()
  for (const id of order) {
    const head = heads.get(id)!
    const byGroup = new Map<string, { controller: string | null; pods: ResourceRow[] }>()
    for (const p of members.get(id) ?? []) {
      const ctl = controllerOf(p)
      const gid = `${id}|${ctl ?? `pods:${p.namespace ?? ''}`}`
      let g = byGroup.get(gid)
      if (!g) byGroup.set(gid, (g = { controller: ctl, pods: [] }))
      g.pods.push(p)
      if (ctl) {
        usedControllers.add(ctl)
        links.add(`own|ctl:${ctl}|${id}`)
      }
    }
    const groups: PodGroup[] = [...byGroup.entries()]
      .map(([gid, g]) => {
        const entry = g.controller ? sideRows.get(g.controller) : undefined
        const ns = g.pods[0]?.namespace ?? ''
        const label = entry ? labelOf(entry.row) : `${ns}: pods without a controller`
        const kind = entry ? entry.type.replace(/s$/, '') : 'pods'
        g.pods.sort((a, b) => byName(a.key, b.key))
        return { id: gid, controller: g.controller, kind, label, pods: g.pods, ...summarise(g.pods), expanded: opts.expanded.has(gid) }
      })
      .sort((a, b) => a.label.localeCompare(b.label) || a.id.localeCompare(b.id))
    const podCount = groups.reduce((n, g) => n + g.pods.length, 0)
    if (podCount === 0 && opts.hideEmpty) continue
    const tone = head.kind === 'namespace' ? worstTone(groups.map((g) => g.tone)) : head.tone
    boxes.push({
      ...head,
      tone,
      status: head.kind === 'namespace' ? `${podCount} pods` : head.status,
      groups,
      podCount,
      width: GBOX_W,
      height: boxHeight(groups),
    })
  }

  const sides: TopoSide[] = []
  for (const ctl of [...usedControllers].sort()) {
    const entry = sideRows.get(ctl)
    if (entry) sides.push({ id: `ctl:${ctl}`, kind: 'controller', type: entry.type, row: entry.row, label: labelOf(entry.row) })
  }
  const boxOfPod = new Map<string, string>()
  for (const b of boxes) for (const g of b.groups) for (const p of g.pods) boxOfPod.set(p.key, b.id)
  const services = [...input.services].sort((a, b) => a.key.localeCompare(b.key))
  for (const s of services) {
    sides.push({ id: `svc:${s.key}`, kind: 'service', type: 'services', row: s, label: labelOf(s) })
    if (!s.selector) continue
    for (const p of input.pods) {
      if (p.namespace !== s.namespace || !matches(s.selector, p.labels)) continue
      const box = boxOfPod.get(p.key)
      if (box) links.add(`sel|${box}|svc:${s.key}`)
    }
  }
  const plain: TopoEdge[] = [...links].sort().map((l) => {
    const [kind, source, target] = l.split('|') as ['own' | 'sel', string, string]
    return { id: `${kind}:${source}->${target}`, source, target, kind: kind === 'own' ? 'owns' : 'selects' }
  })

  // Place: controllers in a column on the left, boxes in a grid (each row as tall as its
  // tallest box), Services in a column on the right.
  const positions: Positions = new Map()
  const ctlSides = sides.filter((s) => s.kind === 'controller')
  const svcSides = sides.filter((s) => s.kind === 'service')
  const gridX = ctlSides.length ? SIDE_W + COLUMN_GAP : 0
  const cols = gridColumns(boxes.length, boxes.reduce((h, b) => h + b.height, 0) / Math.max(1, boxes.length))
  let y = 0
  let rowH = 0
  boxes.forEach((b, i) => {
    const col = i % cols
    if (col === 0 && i > 0) {
      y += rowH + GRID_GAP
      rowH = 0
    }
    positions.set(b.id, { x: gridX + col * (GBOX_W + GRID_GAP), y })
    rowH = Math.max(rowH, b.height)
  })
  const gridW = Math.min(cols, boxes.length) * (GBOX_W + GRID_GAP) - GRID_GAP
  ctlSides.forEach((s, i) => positions.set(s.id, { x: 0, y: i * (SIDE_H + GRID_GAP / 2) }))
  svcSides.forEach((s, i) => positions.set(s.id, { x: gridX + Math.max(gridW, 0) + COLUMN_GAP, y: i * (SIDE_H + GRID_GAP / 2) }))

  const edges = routeEdges(plain, boxes, sides, positions, cols)
  const shapeKey = JSON.stringify([boxes.map((b) => [b.id, b.height]), sides.map((s) => s.id), edges.map((e) => e.id)])
  return { boxes, sides, edges, positions, shapeKey }
}

/**
 * Routes each line around the boxes, as a circuit board does: out of the controller to the free
 * column left of the grid, along the gap above the target box's row, down the gap left of its
 * column and into the box from the left; lines to Services leave a box on the right and take the
 * same gaps to the free column right of the grid. The gaps hold no boxes, so no line crosses
 * one. Lines of different controllers/Services run a few pixels apart (lanes), so they can be
 * told apart where they share a gap.
 */
export function routeEdges(
  edges: readonly TopoEdge[],
  boxes: readonly GroupBox[],
  sides: readonly TopoSide[],
  positions: Positions,
  cols: number,
): RoutedEdge[] {
  const rowOf = new Map<string, number>()
  const colOf = new Map<string, number>()
  const rowTop: number[] = []
  const rowCount: number[] = []
  boxes.forEach((b, i) => {
    const row = Math.floor(i / cols)
    rowOf.set(b.id, row)
    colOf.set(b.id, i % cols)
    rowTop[row] ??= positions.get(b.id)?.y ?? 0
    rowCount[row] = (rowCount[row] ?? 0) + 1
  })
  const box = new Map(boxes.map((b) => [b.id, b]))
  const laneOf = new Map(sides.map((s, i) => [s.id, ((i % 5) - 2) * 3]))
  const ctl = sides.find((s) => s.kind === 'controller')
  const svc = sides.find((s) => s.kind === 'service')
  const gridLeft = boxes.length ? (positions.get(boxes[0]!.id)?.x ?? 0) : 0
  const leftFree = ctl ? gridLeft - COLUMN_GAP / 2 : gridLeft - GRID_GAP / 2
  const rightFree = svc ? (positions.get(svc.id)?.x ?? 0) - COLUMN_GAP / 2 : 0
  const half = GRID_GAP / 2
  const out: RoutedEdge[] = []
  for (const e of edges) {
    const toBox = e.kind === 'owns'
    const side = toBox ? e.source : e.target
    const b = box.get(toBox ? e.target : e.source)
    const sp = positions.get(side)
    const bp = b ? positions.get(b.id) : undefined
    if (!b || !sp || !bp) {
      out.push({ ...e, points: [] })
      continue
    }
    const lane = laneOf.get(side) ?? 0
    const row = rowOf.get(b.id) ?? 0
    const col = colOf.get(b.id) ?? 0
    const boxMid = bp.y + b.height / 2
    const sideMid = sp.y + SIDE_H / 2
    const gap = (rowTop[row] ?? bp.y) - half + lane
    let points: Point[]
    if (toBox) {
      const start = { x: sp.x + SIDE_W, y: sideMid }
      const x1 = leftFree + lane
      // The first column is reached straight from the free column; the others through the gaps.
      points =
        col === 0
          ? [start, { x: x1, y: sideMid }, { x: x1, y: boxMid }, { x: bp.x, y: boxMid }]
          : [start, { x: x1, y: sideMid }, { x: x1, y: gap }, { x: bp.x - half + lane, y: gap }, { x: bp.x - half + lane, y: boxMid }, { x: bp.x, y: boxMid }]
    } else {
      const start = { x: bp.x + b.width, y: boxMid }
      const x1 = rightFree + lane
      // Nothing to the right of the last box of a row: straight out to the free column.
      const lastInRow = col === (rowCount[row] ?? 1) - 1
      points = lastInRow
        ? [start, { x: x1, y: boxMid }, { x: x1, y: sideMid }, { x: sp.x, y: sideMid }]
        : [
            start,
            { x: bp.x + b.width + half + lane, y: boxMid },
            { x: bp.x + b.width + half + lane, y: gap },
            { x: x1, y: gap },
            { x: x1, y: sideMid },
            { x: sp.x, y: sideMid },
          ]
    }
    out.push({ ...e, points })
  }
  return out
}

/** An SVG path through the points. */
export function pathOf(points: readonly Point[]): string {
  return points.map((p, i) => `${i === 0 ? 'M' : 'L'} ${Math.round(p.x * 10) / 10} ${Math.round(p.y * 10) / 10}`).join(' ')
}
