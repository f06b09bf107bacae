// Turns Kubernetes objects into table rows for the renderer: the same cells `kubectl get`
// prints (the API server's own printers), a colour tone, and the few fields the topology needs.
import type { KubeObject } from '../../../src-cluster/api/object'
import { findResource } from '../../../src-cluster/api/resources'
import { printerFor } from '../../../src-cluster/api/tables'
import type { ColumnInfo, OwnerInfo, PodContainerInfo, ResourceRow, ResourceTypeInfo, RowTone } from '../../contract'

type Obj = KubeObject & Record<string, unknown>

function infoFor(t: ResourceTypeInfo) {
  const i = t.apiVersion.indexOf('/')
  const group = i < 0 ? '' : t.apiVersion.slice(0, i)
  const version = i < 0 ? t.apiVersion : t.apiVersion.slice(i + 1)
  const info = findResource(group, version, t.type)
  if (!info) throw new Error(`the API server's resource table has no ${t.type} in ${t.apiVersion}`)
  return info
}

export function columnsFor(resourceTypeInfo: ResourceTypeInfo): ColumnInfo[] {
  return printerFor(infoFor(resourceTypeInfo)).columns.map((c) => ({
    name: c.name,
    priority: c.priority,
    // Ages go stale the moment they are computed: the renderer recomputes them from createdAt.
    type: c.name === 'Age' ? 'age' : c.type,
  }))
}

export function rowFor(resourceTypeInfo: ResourceTypeInfo, obj: KubeObject, now = new Date()): ResourceRow {
  const o = obj as Obj
  const md = obj.metadata ?? {}
  const { cells } = printerFor(infoFor(resourceTypeInfo)).row(obj, now)
  const cols = printerFor(infoFor(resourceTypeInfo)).columns
  const statusCell = cols.findIndex((c) => c.name === 'Status')
  const { tone, status } = toneOf(resourceTypeInfo.kind, o, statusCell >= 0 ? String(cells[statusCell] ?? '') : '')
  const owners: OwnerInfo[] = (md.ownerReferences ?? []).map((r) => ({ kind: String(r.kind), name: String(r.name), uid: String(r.uid) }))
  const name = String(md.name ?? '')
  const namespace = resourceTypeInfo.namespaced ? String(md.namespace ?? '') : null
  const row: ResourceRow = {
    key: namespace ? `${namespace}/${name}` : name,
    uid: String(md.uid ?? ''),
    name,
    namespace,
    resourceVersion: String(md.resourceVersion ?? ''),
    createdAt: typeof md.creationTimestamp === 'string' ? md.creationTimestamp : null,
    cells: cells.map((c) => c ?? ''),
    tone,
    status,
    labels: { ...((md.labels as Record<string, string> | undefined) ?? {}) },
    owners,
    nodeName: resourceTypeInfo.kind === 'Pod' ? (str(get(o, 'spec', 'nodeName')) ?? null) : null,
    selector: selectorOf(resourceTypeInfo.kind, o),
  }
  if (resourceTypeInfo.kind === 'Pod') row.containers = containersOf(o)
  return row
}

/** Init containers first, in the order they run, then the app containers. */
export function containersOf(obj: Obj): PodContainerInfo[] {
  const list = (v: unknown, init: boolean): PodContainerInfo[] =>
    Array.isArray(v)
      ? v.flatMap((c) => {
          const name = str(get(c, 'name'))
          if (name === undefined) return []
          const portsRaw = get(c, 'ports')
          const ports = Array.isArray(portsRaw) ? portsRaw.map((p) => get(p, 'containerPort')).filter((n): n is number => typeof n === 'number') : []
          return [ports.length > 0 ? { name, init, ports } : { name, init }]
        })
      : []
  return [...list(get(obj, 'spec', 'initContainers'), true), ...list(get(obj, 'spec', 'containers'), false)]
}

function get(o: unknown, ...path: string[]): unknown {
  let cur = o
  for (const p of path) {
    if (cur === null || typeof cur !== 'object') return undefined
    cur = (cur as Record<string, unknown>)[p]
  }
  return cur
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined
}

function num(v: unknown): number {
  return typeof v === 'number' ? v : 0
}

function selectorOf(kind: string, o: Obj): Record<string, string> | null {
  const raw = kind === 'Service' ? get(o, 'spec', 'selector') : get(o, 'spec', 'selector', 'matchLabels')
  if (!raw || typeof raw !== 'object') return null
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(raw as Record<string, unknown>)) if (typeof v === 'string') out[k] = v
  return Object.keys(out).length ? out : null
}

/** A tone and a short word per kind; kinds without a notion of health are neutral. */
export function toneOf(kind: string, obj: Obj, statusCell: string): { tone: RowTone; status: string } {
  if (get(obj, 'metadata', 'deletionTimestamp')) return { tone: 'busy', status: 'Terminating' }
  switch (kind) {
    case 'Pod': {
      const s = statusCell || str(get(obj, 'status', 'phase')) || 'Pending'
      if (/^(Running)$/.test(s)) {
        const conds = (get(obj, 'status', 'conditions') as { type?: string; status?: string }[] | undefined) ?? []
        const ready = conds.find((c) => c.type === 'Ready')
        return { tone: ready && ready.status !== 'True' ? 'busy' : 'ok', status: s }
      }
      if (/^(Completed|Succeeded)$/.test(s)) return { tone: 'idle', status: s }
      if (/(Err|BackOff|Fail|Evicted|OOM|Unknown|Invalid)/i.test(s)) return { tone: 'bad', status: s }
      return { tone: 'busy', status: s }
    }
    case 'Node': {
      const conds = (get(obj, 'status', 'conditions') as { type?: string; status?: string }[] | undefined) ?? []
      const ready = conds.find((c) => c.type === 'Ready')?.status === 'True'
      const cordoned = get(obj, 'spec', 'unschedulable') === true
      if (!ready) return { tone: 'bad', status: cordoned ? 'NotReady,SchedulingDisabled' : 'NotReady' }
      return cordoned ? { tone: 'busy', status: 'SchedulingDisabled' } : { tone: 'ok', status: 'Ready' }
    }
    case 'Deployment':
    case 'StatefulSet':
    case 'ReplicaSet': {
      const want = typeof get(obj, 'spec', 'replicas') === 'number' ? num(get(obj, 'spec', 'replicas')) : 1
      const ready = num(get(obj, 'status', 'readyReplicas'))
      if (ready >= want) return { tone: want === 0 ? 'idle' : 'ok', status: `${ready}/${want} ready` }
      return { tone: 'busy', status: `${ready}/${want} ready` }
    }
    case 'DaemonSet': {
      const want = num(get(obj, 'status', 'desiredNumberScheduled'))
      const ready = num(get(obj, 'status', 'numberReady'))
      return { tone: ready >= want ? 'ok' : 'busy', status: `${ready}/${want} ready` }
    }
    case 'Job': {
      const conds = (get(obj, 'status', 'conditions') as { type?: string; status?: string }[] | undefined) ?? []
      if (conds.some((c) => c.type === 'Failed' && c.status === 'True')) return { tone: 'bad', status: 'Failed' }
      if (conds.some((c) => c.type === 'Complete' && c.status === 'True')) return { tone: 'idle', status: 'Complete' }
      return { tone: 'busy', status: 'Running' }
    }
    case 'Event': {
      const type = str(get(obj, 'type')) ?? 'Normal'
      return { tone: type === 'Warning' ? 'bad' : 'idle', status: type }
    }
    case 'Namespace': {
      const phase = str(get(obj, 'status', 'phase')) ?? 'Active'
      return { tone: phase === 'Active' ? 'ok' : 'busy', status: phase }
    }
    case 'PersistentVolumeClaim':
    case 'PersistentVolume': {
      const phase = str(get(obj, 'status', 'phase')) ?? 'Pending'
      return { tone: phase === 'Bound' ? 'ok' : phase === 'Lost' || phase === 'Failed' ? 'bad' : 'busy', status: phase }
    }
    default:
      return { tone: 'idle', status: '' }
  }
}
