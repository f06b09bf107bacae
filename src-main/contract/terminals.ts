// Contract for terminals: a host shell with KUBECONFIG set, exec into a pod container, and a
// shell on a cluster node over SSH.
// Keystrokes go in as requests, output comes back as events. Free of Node and DOM imports.

export type TerminalKind = 'host' | 'pod' | 'node'
export type TerminalState = 'connecting' | 'connected' | 'closed'

export interface HostTerminalParams {
  /** Cluster whose kubeconfig the shell gets as KUBECONFIG; null for a plain shell. */
  cluster: string | null
  cols: number
  rows: number
}

export interface PodTerminalParams {
  cluster: string
  namespace: string
  pod: string
  /** Defaults to the pod's first container. */
  container: string | null
  /** Defaults to `sh`. */
  command: string[] | null
  cols: number
  rows: number
}

export interface NodeTerminalParams {
  cluster: string
  /** Node name as recorded in the cluster (e.g. `master`, `worker-1`). */
  node: string
  cols: number
  rows: number
}

export interface TerminalInfo {
  id: string
  kind: TerminalKind
  title: string
  state: TerminalState
}

export interface TerminalInput {
  id: string
  data: string
}

export interface TerminalSize {
  id: string
  cols: number
  rows: number
}

export interface TerminalRef {
  id: string
}

export interface TerminalOutput {
  id: string
  data: string
}

export interface TerminalStateChange {
  id: string
  state: TerminalState
  /** Exit code of the shell when it ended by itself. */
  exitCode: number | null
  /** Why it closed, for people (exit, error, closed by the user). */
  reason: string | null
  /** False when the other end refused for good (e.g. the API server refused the exec): no reconnect. */
  retryable?: boolean
}

export interface TerminalRequests {
  'terminals.openHost': { params: HostTerminalParams; result: TerminalInfo }
  /** Fails with code `exec_unavailable` when the cluster does not serve pods/exec. */
  'terminals.openPod': { params: PodTerminalParams; result: TerminalInfo }
  /**
   * A login shell on a node over SSH with the cluster's key. Fails with code `ssh_unavailable`
   * when the cluster's provider gives no SSH access (simulated nodes have no machine).
   */
  'terminals.openNode': { params: NodeTerminalParams; result: TerminalInfo }
  'terminals.input': { params: TerminalInput; result: void }
  'terminals.resize': { params: TerminalSize; result: void }
  'terminals.close': { params: TerminalRef; result: void }
  'terminals.list': { params: void; result: TerminalInfo[] }
}

export interface TerminalEvents {
  'terminals.output': TerminalOutput
  'terminals.state': TerminalStateChange
}

export const terminalRequestTable = {
  'terminals.openHost': true,
  'terminals.openPod': true,
  'terminals.openNode': true,
  'terminals.input': true,
  'terminals.resize': true,
  'terminals.close': true,
  'terminals.list': true,
} as const satisfies Record<keyof TerminalRequests, true>

export const terminalEventTable = {
  'terminals.output': true,
  'terminals.state': true,
} as const satisfies Record<keyof TerminalEvents, true>
