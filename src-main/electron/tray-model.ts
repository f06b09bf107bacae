// What the tray menu shows, as plain data (no electron import) so it is tested in Node: one line
// per cluster with its state, Start/Stop as the state allows, then Show and Quit.
import type { ClusterSummary } from '../contract'

export type TrayAction = { kind: 'show' } | { kind: 'quit' } | { kind: 'start' | 'stop'; cluster: string }

export interface TrayItem {
  label: string
  enabled: boolean
  action: TrayAction | null
  /** Indented items under a cluster line. */
  indent: boolean
}

const stateMark: Record<string, string> = { running: '●', stopped: '○', creating: '◐', starting: '◐', stopping: '◐', deleting: '◐', error: '✕' }

export function trayTooltip(clusters: readonly ClusterSummary[]): string {
  if (clusters.length === 0) return 'KubeLab: no clusters'
  const running = clusters.filter((c) => c.state === 'running').length
  return `KubeLab: ${running} of ${clusters.length} cluster${clusters.length === 1 ? '' : 's'} running`
}

export function trayItems(clusters: readonly ClusterSummary[]): TrayItem[] {
  const items: TrayItem[] = []
  if (clusters.length === 0) items.push({ label: 'No clusters yet', enabled: false, action: null, indent: false })
  for (const c of clusters) {
    items.push({ label: `${stateMark[c.state] ?? '?'} ${c.name} — ${c.problem ? 'unreadable' : c.state}`, enabled: false, action: null, indent: false })
    if (c.problem) continue
    if (c.state === 'stopped') items.push({ label: `Start ${c.name}`, enabled: true, action: { kind: 'start', cluster: c.name }, indent: true })
    if (c.state === 'running') items.push({ label: `Stop ${c.name}`, enabled: true, action: { kind: 'stop', cluster: c.name }, indent: true })
  }
  items.push({ label: 'Show KubeLab', enabled: true, action: { kind: 'show' }, indent: false })
  items.push({ label: 'Quit', enabled: true, action: { kind: 'quit' }, indent: false })
  return items
}
