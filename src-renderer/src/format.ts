// Small display helpers, kept out of the components so they are type-checked and testable.
import type { AppInfo, ClusterSummary } from '@contract'

export type Tone = 'ok' | 'busy' | 'idle' | 'bad'

/** Colour family of a cluster state badge. Unknown states stay neutral rather than guessed. */
export function stateTone(cluster: Pick<ClusterSummary, 'state' | 'problem'>): Tone {
  if (cluster.problem) return 'bad'
  const s = cluster.state.toLowerCase()
  if (s === 'running' || s === 'ready') return 'ok'
  if (/(creat|start|stopp|delet|provision|pending)/.test(s)) return 'busy'
  if (/(error|fail|broken)/.test(s)) return 'bad'
  return 'idle'
}

export function formatNodes(count: number | null, stopped: readonly string[] = []): string {
  if (count === null) return '—'
  const all = count === 1 ? '1 node' : `${count} nodes`
  return stopped.length ? `${all}, ${stopped.join(', ')} stopped (kubelab node start)` : all
}

export function formatDate(iso: string | null): string {
  if (!iso) return '—'
  const d = new Date(iso)
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString()
}

export function describeInfo(info: AppInfo): string {
  const mode = info.mode === 'electron' ? 'desktop app' : 'browser mode'
  return `KubeLab ${info.version} · ${mode} · ${info.platform} · Node ${info.node}`
}
