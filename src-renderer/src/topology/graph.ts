// The topology as data: node boxes holding their pods, Services linked to the pods they select,
// controllers (Deployments through their ReplicaSets, StatefulSets, DaemonSets, Jobs) linked to
// their pods. Pure: the view only lays it out and draws it.
import type { ResourceRow, RowTone } from '@contract'

export const POD_W = 170
export const POD_H = 34
export const GAP = 8
export const BOX_PAD = 12
export const BOX_HEAD = 34
/** Wide enough for a node's name, its status and its stop/start and details buttons. */
export const BOX_MIN_W = 330
/** Controllers and Services: tall enough for a kind, a name and a status line. */
export const SIDE_W = 190
export const SIDE_H = 56

export type Positions = Map<string, { x: number; y: number }>

export interface TopoInput {
  nodes: ResourceRow[]
  pods: ResourceRow[]
  services: ResourceRow[]
  replicasets: ResourceRow[]
  controllers: { type: string; row: ResourceRow }[]
}

export interface TopoBox {
  id: string
  kind: 'node' | 'unscheduled'
  label: string
  tone: RowTone
  status: string
  width: number
  height: number
}

export interface TopoPod {
  id: string
  parent: string
  row: ResourceRow
  x: number
  y: number
}

export interface TopoSide {
  id: string
  kind: 'service' | 'controller'
  type: string
  row: ResourceRow
  label: string
}

export interface TopoEdge {
  id: string
  source: string
  target: string
  kind: 'selects' | 'owns'
}

export interface TopoGraph {
  boxes: TopoBox[]
  pods: TopoPod[]
  sides: TopoSide[]
  edges: TopoEdge[]
  /** Coarse links between boxes and side nodes, for the automatic layout. */
  layoutEdges: { source: string; target: string }[]
  /** Changes only when something the layout depends on changes (boxes, sizes, side nodes). */
  shapeKey: string
}

export function matches(selector: Record<string, string> | null, labels: Record<string, string>): boolean {
  if (!selector) return false
  for (const [k, v] of Object.entries(selector)) if (labels[k] !== v) return false
  return true
}

/** Columns for n pods in a box: roughly square, at least 1, at most 6. */
export function columnsFor(count: number): number {
  return Math.max(1, Math.min(6, Math.ceil(Math.sqrt(count))))
}

export function boxSize(count: number): { width: number; height: number } {
  const cols = columnsFor(count)
  const rows = Math.max(1, Math.ceil(count / cols))
  return { width: Math.max(BOX_MIN_W, BOX_PAD * 2 + cols * POD_W + (cols - 1) * GAP), height: BOX_HEAD + BOX_PAD + rows * POD_H + (rows - 1) * GAP + BOX_PAD }
}

/**
 * Names that occur in more than one namespace among the shown objects: those objects are labelled
 * `namespace/name` so two `web` Deployments can be told apart.
 */
export function repeatedNames(rows: Iterable<ResourceRow>): Set<string> {
  const seen = new Map<string, string | null>()
  const repeated = new Set<string>()
  for (const r of rows) {
    const ns = seen.get(r.name)
    if (ns === undefined) seen.set(r.name, r.namespace)
    else if (ns !== r.namespace) repeated.add(r.name)
  }
  return repeated
}

/**
 * Which shown controller a pod belongs to (`deployments:ns/name`, `statefulsets:…`, a bare
 * `replicasets:…` without a Deployment), and the controllers' rows by that id.
 */
export function controllers(input: Pick<TopoInput, 'replicasets' | 'controllers'>): {
  controllerOf: (pod: ResourceRow) => string | null
  controllerIds: Set<string>
  sideRows: Map<string, { type: string; row: ResourceRow }>
} {
  // Pods owned by a ReplicaSet belong to the ReplicaSet's Deployment when it has one.
  const rsOwner = new Map<string, string>()
  for (const rs of input.replicasets) {
    const dep = rs.owners.find((o) => o.kind === 'Deployment')
    if (dep) rsOwner.set(`${rs.namespace}/${rs.name}`, `deployments:${rs.namespace}/${dep.name}`)
    else rsOwner.set(`${rs.namespace}/${rs.name}`, `replicasets:${rs.namespace}/${rs.name}`)
  }
  const controllerIds = new Set<string>()
  for (const c of input.controllers) controllerIds.add(`${c.type}:${c.row.key}`)
  for (const rs of input.replicasets) if (!rs.owners.some((o) => o.kind === 'Deployment')) controllerIds.add(`replicasets:${rs.key}`)
  const sideRows = new Map<string, { type: string; row: ResourceRow }>()
  for (const c of input.controllers) sideRows.set(`${c.type}:${c.row.key}`, c)
  for (const rs of input.replicasets) sideRows.set(`replicasets:${rs.key}`, { type: 'replicasets', row: rs })
  const controllerOf = (pod: ResourceRow): string | null => {
    const owner = pod.owners[0]
    if (!owner) return null
    const ownerKey = `${pod.namespace}/${owner.name}`
    const ctl = owner.kind === 'ReplicaSet' ? rsOwner.get(ownerKey) : `${owner.kind.toLowerCase()}s:${ownerKey}`
    return ctl && controllerIds.has(ctl) ? ctl : null
  }
  return { controllerOf, controllerIds, sideRows }
}

export function buildGraph(input: TopoInput): TopoGraph {
  const repeated = repeatedNames([...input.services, ...input.controllers.map((c) => c.row), ...input.pods])
  const labelOf = (r: ResourceRow): string => (repeated.has(r.name) && r.namespace ? `${r.namespace}/${r.name}` : r.name)
  const boxes: TopoBox[] = []
  const pods: TopoPod[] = []
  const byNode = new Map<string, ResourceRow[]>()
  const nodeNames = new Set(input.nodes.map((n) => n.name))
  for (const p of input.pods) {
    const where = p.nodeName && nodeNames.has(p.nodeName) ? `node:${p.nodeName}` : 'unscheduled'
    let list = byNode.get(where)
    if (!list) byNode.set(where, (list = []))
    list.push(p)
  }
  const sortedNodes = [...input.nodes].sort((a, b) => a.name.localeCompare(b.name))
  const placeBox = (id: string, kind: TopoBox['kind'], label: string, tone: RowTone, status: string): void => {
    const members = (byNode.get(id) ?? []).sort((a, b) => a.key.localeCompare(b.key))
    const size = boxSize(members.length)
    boxes.push({ id, kind, label, tone, status, ...size })
    const cols = columnsFor(members.length)
    members.forEach((row, i) => {
      pods.push({ id: `pod:${row.key}`, parent: id, row, x: BOX_PAD + (i % cols) * (POD_W + GAP), y: BOX_HEAD + Math.floor(i / cols) * (POD_H + GAP) })
    })
  }
  for (const n of sortedNodes) placeBox(`node:${n.name}`, 'node', n.name, n.tone, n.status)
  if (byNode.has('unscheduled')) placeBox('unscheduled', 'unscheduled', 'Not scheduled', 'busy', 'Pending')

  const sides: TopoSide[] = []
  const edges: TopoEdge[] = []
  const layout = new Set<string>()
  const podBox = new Map(pods.map((p) => [p.row.key, p.parent]))

  const { controllerOf, controllerIds, sideRows } = controllers(input)
  const usedControllers = new Set<string>()
  for (const p of pods) {
    const ctl = controllerOf(p.row)
    if (!ctl) continue
    usedControllers.add(ctl)
    edges.push({ id: `own:${ctl}->${p.id}`, source: `ctl:${ctl}`, target: p.id, kind: 'owns' })
    layout.add(`ctl:${ctl}|${p.parent}`)
  }
  for (const ctl of [...controllerIds].sort()) {
    const entry = sideRows.get(ctl)
    if (!entry) continue
    // A ReplicaSet with no pods is an old revision of a Deployment: clutter, not topology.
    if (entry.type === 'replicasets' && !usedControllers.has(ctl)) continue
    sides.push({ id: `ctl:${ctl}`, kind: 'controller', type: entry.type, row: entry.row, label: labelOf(entry.row) })
  }
  for (const s of [...input.services].sort((a, b) => a.key.localeCompare(b.key))) {
    const id = `svc:${s.key}`
    sides.push({ id, kind: 'service', type: 'services', row: s, label: labelOf(s) })
    if (!s.selector) continue
    for (const p of input.pods) {
      if (p.namespace !== s.namespace || !matches(s.selector, p.labels)) continue
      // Drawn pod → Service so the line leaves the pod on the side facing the Services column.
      edges.push({ id: `sel:${id}->pod:${p.key}`, source: `pod:${p.key}`, target: id, kind: 'selects' })
      const box = podBox.get(p.key)
      if (box) layout.add(`${box}|${id}`)
    }
  }
  const layoutEdges = [...layout].map((l) => {
    const [source, target] = l.split('|') as [string, string]
    return { source, target }
  })
  const shapeKey = JSON.stringify([boxes.map((b) => [b.id, b.width, b.height]), sides.map((s) => s.id), [...layout].sort()])
  return { boxes, pods, sides, edges, layoutEdges, shapeKey }
}
