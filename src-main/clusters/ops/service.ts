// Cluster operations for the desktop app: the cluster manager driven in the background, each run
// followed as an Operation whose steps and lines are published as events. One operation per
// cluster at a time; Cancel stops a create and removes what it made.
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import type {
  ClusterNodeInfo,
  ClusterOperation,
  ClusterSummary,
  CreateClusterParams,
  EventMessage,
  KubeconfigExport,
  KubeconfigMerge,
  OperationKind,
  PreflightResult,
  ProviderInfo,
} from '../../contract'
import { capabilitiesOf } from '../../contract'
import { getProvider, providerNames } from '../../providers'
import type { ClusterManager, ClusterPhase } from '../manager'
import { clusterDir, readRecord } from '../state'
import { listClusters } from '../registry'
import { hintsFor } from './hints'
import { Operation } from './operation'
import { hostFacts, runPreflight, type HostFacts } from './preflight'

import { CodedError as OpError } from '../../contract/errors'

export interface ClusterOpsOptions {
  env: NodeJS.ProcessEnv
  /** The process's one cluster manager. */
  manager: ClusterManager
  publish: (message: EventMessage) => void
  host?: HostFacts
}

export class ClusterOps {
  private readonly ops = new Map<string, Operation>()
  /** Completion of each running operation, by cluster name. */
  private readonly busy = new Map<string, { op: Operation; done: Promise<void>; cancel: boolean }>()
  private seq = 0
  private readonly host: HostFacts
  /** The cluster list as last published (JSON), to publish changes made outside the app once. */
  private published: string | null = null
  private outside: ReturnType<typeof setInterval> | undefined

  constructor(private readonly opts: ClusterOpsOptions) {
    // async: an unknown provider name becomes a failed check, not a thrown preflight.
    this.host =
      opts.host ??
      hostFacts(
        opts.env,
        async (name) => getProvider(name).detect(),
        async (name, home) => (await getProvider(name).preflight?.(home)) ?? [],
      )
  }

  list(): Promise<ClusterSummary[]> {
    return listClusters(this.opts.manager.home)
  }

  async providers(): Promise<ProviderInfo[]> {
    return Promise.all(
      providerNames().map(async (name) => {
        const d = await getProvider(name)
          .detect()
          .catch((e: unknown) => ({ available: false, problem: (e as Error).message, version: undefined }))
        return { name, description: capabilitiesOf(name).description, available: d.available, version: d.version ?? null, problem: d.problem ?? null }
      }),
    )
  }

  preflight(params: CreateClusterParams): Promise<PreflightResult> {
    return runPreflight(params, this.opts.manager.home, this.host)
  }

  operations(): ClusterOperation[] {
    return [...this.ops.values()].map((op) => op.snapshot())
  }

  create(params: CreateClusterParams): ClusterOperation {
    return this.launch(params.name, 'create', params, async (op, manager, entry) => {
      op.begin('preflight')
      const result = await this.preflight(params)
      for (const c of result.checks) op.line(`${c.status.toUpperCase().padEnd(4)} ${c.title}: ${c.detail}`)
      if (!result.ok) {
        const failed = result.checks.filter((c) => c.status === 'fail')
        throw new Error(`preflight failed: ${failed.map((c) => `${c.title}: ${c.detail}`).join('; ')}`)
      }
      if (entry.cancel) throw new Error('cancelled')
      // Hollow nodes take CPU/memory as their advertised capacity.
      await manager.create(params.name, {
        provider: params.provider,
        workers: params.workers,
        controlPlanes: params.controlPlanes ?? 1,
        settings: { cpu: params.cpu, memory: params.memory, ...(params.store === 'etcd' ? { store: 'etcd' } : {}) },
      })
    })
  }

  start(name: string): ClusterOperation {
    return this.launch(name, 'start', null, async (_op, manager) => {
      await manager.start(name)
    })
  }

  stop(name: string): ClusterOperation {
    return this.launch(name, 'stop', null, async (op, manager) => {
      op.begin('stop')
      await manager.stop(name)
    })
  }

  delete(name: string): ClusterOperation {
    return this.launch(name, 'delete', null, async (op, manager) => {
      op.begin('delete')
      await manager.delete(name)
    })
  }

  /** Cancels a running create: its processes are stopped and its folder removed. */
  async cancel(id: string): Promise<ClusterOperation> {
    const op = this.ops.get(id)
    if (!op) throw new OpError('not_found', `no operation ${id}; it may belong to an earlier run of KubeLab`)
    const entry = this.busy.get(op.cluster)
    if (!op.running || !entry || entry.op !== op) return op.snapshot()
    if (op.kind !== 'create') throw new OpError('not_cancellable', `only creating a cluster can be cancelled; ${op.kind} runs to its end`)
    entry.cancel = true
    op.line('cancelling: stopping the cluster and removing its files')
    // Stopping the control plane makes a waiting create fail at once instead of timing out.
    await this.manager(op)
      .delete(op.cluster)
      .catch(() => undefined)
    await entry.done
    return op.snapshot()
  }

  /** Runs a failed or cancelled create again with the same parameters. */
  retry(id: string): ClusterOperation {
    const op = this.ops.get(id)
    if (!op) throw new OpError('not_found', `no operation ${id}; it may belong to an earlier run of KubeLab`)
    if (op.running) throw new OpError('busy', `operation ${id} is still running`)
    if (op.kind === 'create' && op.params) return this.create(op.params)
    if (op.kind === 'start') return this.start(op.cluster)
    if (op.kind === 'stop') return this.stop(op.cluster)
    return this.delete(op.cluster)
  }

  async nodes(name: string): Promise<ClusterNodeInfo[]> {
    const dir = clusterDir(this.opts.manager.home, name)
    const rec = readRecord(dir)
    if (!rec) throw new OpError('not_found', `no cluster named ${name} in ${dir}`)
    const provider = getProvider(rec.provider)
    const ctx = { clusterName: name, clusterDir: dir, nodes: rec.nodes, ports: rec.ports, settings: rec.settings, log: () => {} }
    let live = rec.state === 'running' ? await provider.list(ctx).catch(() => []) : []
    // Right after a start the simulated-nodes control socket can lag the nodes' Ready by a
    // moment; ask again briefly rather than show 'unknown' for machines that are fine.
    for (let i = 0; i < 12 && live.some((l) => l.state === 'unknown'); i++) {
      await new Promise((r) => setTimeout(r, 250))
      live = await provider.list(ctx).catch(() => live)
    }
    return rec.nodes.map((n) => ({ name: n.name, role: n.role, state: live.find((l) => l.name === n.name)?.state ?? n.state }))
  }

  async nodeAction(name: string, node: string, action: 'stop' | 'start'): Promise<ClusterNodeInfo[]> {
    if (this.busy.has(name)) throw new OpError('busy', `cluster ${name} is busy (${this.busy.get(name)!.op.kind}); wait for it to finish`)
    const manager = this.opts.manager
    if (action === 'stop') await manager.nodeStop(name, node)
    else await manager.nodeStart(name, node)
    void this.publishList()
    return this.nodes(name)
  }

  kubeconfig(name: string): KubeconfigExport {
    const path = this.opts.manager.kubeconfigPath(name)
    return { path, content: readFileSync(path, 'utf8') }
  }

  mergeKubeconfig(name: string): KubeconfigMerge {
    const path = this.opts.manager.mergeKubeconfig(name, false)
    return { path, context: `kubelab-${name}` }
  }

  /** Waits for every running operation (used on shutdown and by tests). */
  async settle(): Promise<void> {
    await Promise.all([...this.busy.values()].map((b) => b.done))
  }

  private manager(op: Operation, onPhase?: (phase: ClusterPhase) => void): ClusterManager {
    return this.opts.manager.forOperation({ progress: (line) => op.line(line), step: onPhase })
  }

  private launch(
    cluster: string,
    kind: OperationKind,
    params: CreateClusterParams | null,
    body: (op: Operation, manager: ClusterManager, entry: { cancel: boolean }) => Promise<void>,
  ): ClusterOperation {
    const running = this.busy.get(cluster)
    if (running) throw new OpError('busy', `cluster ${cluster} is busy (${running.op.kind} in progress); wait for it or cancel it`)
    const id = `op-${Date.now().toString(36)}-${++this.seq}`
    const dir = clusterDir(this.opts.manager.home, cluster)
    const op = new Operation(id, cluster, kind, params, {
      snapshot: (s) => {
        this.opts.publish({ name: 'clusters.operation', payload: s })
        void this.publishList()
      },
      line: (l) => {
        this.opts.publish({ name: 'clusters.line', payload: l })
        if (kind !== 'delete') appendLog(dir, `${new Date().toISOString()} ${kind} ${l.stepId}: ${l.line}`)
      },
    })
    this.ops.set(id, op)
    const entry = { op, cancel: false, done: Promise.resolve() }
    const manager = this.manager(op, (phase) => {
      if (entry.cancel) throw new Error('cancelled')
      op.begin(phase)
    })
    entry.done = (async () => {
      try {
        await body(op, manager, entry)
        if (entry.cancel) await this.cleanUpCancelled(op)
        else op.succeed()
      } catch (e) {
        const message = (e as Error).message
        if (entry.cancel) await this.cleanUpCancelled(op)
        else
          op.fail(
            message,
            hintsFor(message, { kind, cluster, provider: params?.provider ?? null, logDir: join(clusterDir(this.opts.manager.home, cluster), 'logs') }),
          )
      } finally {
        this.busy.delete(cluster)
        void this.publishList()
      }
    })()
    this.busy.set(cluster, entry)
    this.opts.publish({ name: 'clusters.operation', payload: op.snapshot() })
    return op.snapshot()
  }

  /** A cancelled create may have re-recorded itself while failing: remove it for good. */
  private async cleanUpCancelled(op: Operation): Promise<void> {
    if (existsSync(clusterDir(this.opts.manager.home, op.cluster))) {
      await this.opts.manager.delete(op.cluster).catch((e: unknown) => op.line(`cleanup: ${(e as Error).message}`))
    }
    op.cancel('cancelled: the half-created cluster was removed')
  }

  private async publishList(): Promise<void> {
    try {
      const list = await this.list()
      this.published = JSON.stringify(list)
      this.opts.publish({ name: 'clusters.changed', payload: list })
    } catch {
      // The list is re-read on the next change or refresh; a transient read error is not fatal.
    }
  }

  /**
   * Clusters changed outside the app (`kubelab stop`, `create`, `delete` in a shell, a lab
   * script) reach the views too: the records are re-read every `everyMs` and a list that
   * differs from the last one published is published. Reading a few small JSON files is cheap.
   */
  watchOutside(everyMs = 2000): void {
    if (this.outside) return
    this.outside = setInterval(() => {
      void this.list()
        .then((list) => {
          const text = JSON.stringify(list)
          if (text === this.published) return
          this.published = text
          this.opts.publish({ name: 'clusters.changed', payload: list })
        })
        .catch(() => {})
    }, everyMs)
    this.outside.unref()
  }

  stopWatching(): void {
    if (this.outside) clearInterval(this.outside)
    this.outside = undefined
  }
}

/** Appends to the cluster's logs/operations.log, but never recreates a removed cluster folder. */
function appendLog(dir: string, line: string): void {
  try {
    if (!existsSync(dir)) return
    mkdirSync(join(dir, 'logs'), { recursive: true })
    appendFileSync(join(dir, 'logs', 'operations.log'), `${line}\n`)
  } catch {
    // The UI already has the line; a log folder that cannot be written must not fail the run.
  }
}
