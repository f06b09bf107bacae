// Pure bookkeeping of terminal tabs: a tab outlives its backend session (reconnect opens a new
// one), output arriving before the view mounts is buffered. Unit-tested in Node.
import type { TerminalState } from '@contract'

export type TabSpec =
  | { kind: 'host'; cluster: string | null }
  | { kind: 'pod'; cluster: string; namespace: string; pod: string; container: string | null }
  | { kind: 'node'; cluster: string; node: string }

export interface TerminalTab {
  key: number
  spec: TabSpec
  title: string
  /** The backend session now serving this tab; null while (re)connecting or after a failed open. */
  sessionId: string | null
  state: TerminalState
  /** Why it closed or could not open. */
  reason: string | null
  /** The exit code of the shell or command when it ended by itself; null otherwise. */
  exitCode: number | null
  /** False when reconnecting cannot help (the other end refused for good); no Enter offer then. */
  retryable: boolean
}

export function titleOf(spec: TabSpec): string {
  if (spec.kind === 'host') return spec.cluster ? `${spec.cluster} · shell` : 'shell'
  if (spec.kind === 'node') return `${spec.cluster} · node ${spec.node}`
  return `${spec.namespace}/${spec.pod}${spec.container ? ` (${spec.container})` : ''}`
}

/** A closed tab reconnects when the user presses Enter in it. */
export function wantsReconnect(tab: Pick<TerminalTab, 'state' | 'retryable'>, input: string): boolean {
  return tab.state === 'closed' && tab.retryable && input.includes('\r')
}

/** How a closed tab ended, in a few words for its tab label: `exit 0`, or just `closed`. */
export function closedLabel(exitCode: number | null): string {
  return exitCode === null ? 'closed' : `exit ${exitCode}`
}

/** The line printed into a terminal when its state changes, so the history tells the story. */
export function stateBanner(state: TerminalState, reason: string | null, exitCode: number | null = null, retryable = true): string | null {
  if (state === 'connecting') return '\x1b[2m[connecting…]\x1b[0m\r\n'
  if (state === 'closed') {
    const code = exitCode === null ? '' : ` with exit code ${exitCode}`
    return `\r\n\x1b[33m[closed${reason ? `: ${reason}` : ''}${code}.${retryable ? ' Press Enter to reconnect.' : ''}]\x1b[0m\r\n`
  }
  return null
}

/** Output for sessions whose view is not attached yet; bounded per session. */
export class OutputBuffer {
  private readonly pending = new Map<string, string[]>()
  constructor(private readonly maxChunks = 2000) {}

  push(id: string, data: string): void {
    const list = this.pending.get(id) ?? []
    list.push(data)
    if (list.length > this.maxChunks) list.splice(0, list.length - this.maxChunks)
    this.pending.set(id, list)
  }

  /** Everything buffered for `id`, removed from the buffer. */
  take(id: string): string {
    const list = this.pending.get(id)
    this.pending.delete(id)
    return list ? list.join('') : ''
  }

  drop(id: string): void {
    this.pending.delete(id)
  }
}
