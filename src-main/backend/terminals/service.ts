// Every open terminal of the app: ids, state, output batched into events (a burst of output
// becomes a few events, not one per byte), input and resize routed to the right session.
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import type { EventMessage, HostTerminalParams, NodeTerminalParams, PodTerminalParams, TerminalInfo, TerminalState } from '../../contract'
import { loadKubeconfig } from '../../../src-cluster/client'
import type { SshTarget } from '../../providers/types'
import { loginFor } from '../../ssh-provisioning/ssh'
import { capabilitiesOf } from '../../contract'
import type { ClusterManager } from '../../clusters'
import { checkClusterName, clusterDir, readRecord } from '../../clusters/state'
import { CodedError } from '../../contract/errors'
import { activeLabVars } from '../../lab-runner/progress'
import { openHostShell } from './host'
import { openNodeShell } from './node'
import { openPodExec } from './pod'
import type { SessionCallbacks, TerminalSession } from './types'

interface Entry {
  info: TerminalInfo
  session: TerminalSession | null
  pending: string
  timer: NodeJS.Timeout | null
}

export interface TerminalServiceOptions {
  env: NodeJS.ProcessEnv
  /** The process's one cluster manager. */
  manager: ClusterManager
  publish: (message: EventMessage) => void
  /** How long output is gathered before it is sent (ms). */
  flushMs?: number
  /** How to reach a node over SSH; defaults to the cluster manager's answer (tests inject one). */
  sshTarget?: (cluster: string, node: string) => Promise<SshTarget>
}

/** Closed terminals are kept this long so a late `terminals.list` still shows them; then dropped. */
const maxClosedKept = 50

export class TerminalService {
  private readonly terms = new Map<string, Entry>()
  private seq = 0

  constructor(private readonly opts: TerminalServiceOptions) {}

  list(): TerminalInfo[] {
    return [...this.terms.values()].map((e) => ({ ...e.info }))
  }

  openHost(params: HostTerminalParams): TerminalInfo {
    const kubeconfig = params.cluster === null ? null : this.kubeconfigOf(params.cluster)
    const entry = this.add('host', params.cluster ? `${params.cluster}: host shell` : 'host shell')
    // The lab started on this cluster defines KUBELAB_* variables (node names) its texts use: exported here too.
    const env =
      params.cluster === null ? this.opts.env : { ...this.opts.env, ...activeLabVars(join(clusterDir(this.opts.manager.home, params.cluster), 'labs')) }
    entry.session = openHostShell({ env, kubeconfig, cols: params.cols, rows: params.rows }, this.callbacks(entry))
    return { ...entry.info }
  }

  async openPod(params: PodTerminalParams): Promise<TerminalInfo> {
    const config = { ...loadKubeconfig(this.kubeconfigOf(params.cluster)), userAgent: 'kubelab-desktop' }
    const command = params.command && params.command.length > 0 ? params.command : ['sh']
    const title = `${params.cluster}: ${params.namespace}/${params.pod}${params.container ? ` (${params.container})` : ''}`
    // Discovery failure (no exec served) throws before a terminal exists: an error value, no tab.
    const entry = this.add('pod', title)
    try {
      entry.session = await openPodExec(
        config,
        { namespace: params.namespace, pod: params.pod, container: params.container, command, cols: params.cols, rows: params.rows },
        this.callbacks(entry),
      )
    } catch (e) {
      this.terms.delete(entry.info.id)
      throw e
    }
    return { ...entry.info }
  }

  async openNode(params: NodeTerminalParams): Promise<TerminalInfo> {
    const target = await this.sshTargetOf(params.cluster, params.node)
    let login
    try {
      login = loginFor(target)
    } catch (e) {
      throw new CodedError('ssh_unavailable', `cannot read the SSH key of cluster ${params.cluster} at ${target.privateKeyFile}: ${(e as Error).message}`)
    }
    const entry = this.add('node', `${params.cluster}: node ${params.node}`)
    entry.session = openNodeShell({ login, node: params.node, cols: params.cols, rows: params.rows }, this.callbacks(entry))
    return { ...entry.info }
  }

  input(id: string, data: string): void {
    const e = this.get(id)
    if (e.info.state === 'closed') throw new CodedError('closed', `terminal ${id} is closed; open it again`)
    e.session?.write(data)
  }

  resize(id: string, cols: number, rows: number): void {
    const e = this.get(id)
    if (e.info.state !== 'closed') e.session?.resize(cols, rows)
  }

  close(id: string): void {
    const e = this.get(id)
    if (e.info.state !== 'closed') e.session?.close()
    this.terms.delete(id)
  }

  /** Ends every session (backend shutdown). */
  closeAll(): void {
    for (const e of this.terms.values()) if (e.info.state !== 'closed') e.session?.close()
    this.terms.clear()
  }

  private kubeconfigOf(cluster: string): string {
    try {
      checkClusterName(cluster)
    } catch (e) {
      throw new CodedError('bad_params', (e as Error).message)
    }
    const path = join(clusterDir(this.opts.manager.home, cluster), 'kubeconfig')
    if (!existsSync(path)) throw new CodedError('not_running', `cluster ${cluster} has no kubeconfig at ${path}: start the cluster first`)
    return path
  }

  /** The node's SSH target, or an error value saying why there is none. */
  private async sshTargetOf(cluster: string, node: string): Promise<SshTarget> {
    try {
      checkClusterName(cluster)
    } catch (e) {
      throw new CodedError('bad_params', (e as Error).message)
    }
    if (this.opts.sshTarget) return this.opts.sshTarget(cluster, node)
    const rec = readRecord(clusterDir(this.opts.manager.home, cluster))
    if (!rec) throw new CodedError('not_found', `no cluster named ${cluster}`)
    if (!rec.nodes.some((n) => n.name === node))
      throw new CodedError('not_found', `cluster ${cluster} has no node ${node}; its nodes: ${rec.nodes.map((n) => n.name).join(', ')}`)
    if (capabilitiesOf(rec.provider).hollowNodes) {
      throw new CodedError(
        'ssh_unavailable',
        `node ${node} of cluster ${cluster} is simulated: it has no machine to log in to. Open a host shell and use kubectl, or create a cluster with the local, multipass, virtualbox or qemu provider for node shells`,
      )
    }
    try {
      return await this.opts.manager.sshTarget(cluster, node)
    } catch (e) {
      throw new CodedError('ssh_unavailable', `no SSH access to node ${node} of cluster ${cluster}: ${(e as Error).message}`)
    }
  }

  private get(id: string): Entry {
    const e = this.terms.get(id)
    if (!e) throw new CodedError('not_found', `no terminal ${id}; it was closed or belongs to an earlier run`)
    return e
  }

  private add(kind: TerminalInfo['kind'], title: string): Entry {
    const id = `term-${++this.seq}`
    const entry: Entry = { info: { id, kind, title, state: 'connecting' }, session: null, pending: '', timer: null }
    this.terms.set(id, entry)
    this.prune()
    return entry
  }

  private prune(): void {
    const closed = [...this.terms.values()].filter((e) => e.info.state === 'closed')
    for (const e of closed.slice(0, Math.max(0, closed.length - maxClosedKept))) this.terms.delete(e.info.id)
  }

  private setState(entry: Entry, state: TerminalState, exitCode: number | null, reason: string | null, retryable = true): void {
    entry.info.state = state
    this.opts.publish({ name: 'terminals.state', payload: { id: entry.info.id, state, exitCode, reason, retryable } })
  }

  private flush(entry: Entry): void {
    if (entry.timer) clearTimeout(entry.timer)
    entry.timer = null
    if (entry.pending === '') return
    const data = entry.pending
    entry.pending = ''
    this.opts.publish({ name: 'terminals.output', payload: { id: entry.info.id, data } })
  }

  private callbacks(entry: Entry): SessionCallbacks {
    return {
      onOpen: () => {
        if (entry.info.state === 'connecting') this.setState(entry, 'connected', null, null)
      },
      onData: (data) => {
        entry.pending += data
        // Big bursts go at once; small ones wait a moment to join the next chunk.
        if (entry.pending.length >= 64 * 1024) this.flush(entry)
        else entry.timer ??= setTimeout(() => this.flush(entry), this.opts.flushMs ?? 8)
      },
      onExit: (exitCode, reason, retryable) => {
        this.flush(entry)
        if (entry.info.state !== 'closed') this.setState(entry, 'closed', exitCode, reason, retryable ?? true)
      },
    }
  }
}
