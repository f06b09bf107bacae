// The cluster lifecycle on the host: create, list, start, stop, delete, node stop/start, and
// the kubeconfig. Every step is idempotent and recorded in cluster.json before and after, so a
// run interrupted half-way (Ctrl-C, crash, closed laptop) is finished by running it again.
import { forgetHostKey, hostKeyPin } from '../ssh-provisioning/host-keys'
import { existsSync, readFileSync, rmSync } from 'node:fs'
import { homedir } from 'node:os'
import { join, resolve as resolvePath } from 'node:path'
import { getProvider } from '../providers'
import type { NodeRecord, ProviderContext } from '../providers/types'
import { controlPlanePid, simulatedFiles } from '../providers/simulated'
import { listClusters } from './registry'
import { repairAddressChanges } from './repair'
import { kubelabHome } from './paths'
import { capabilitiesOf, type ClusterSummary } from '../contract'
import { mergeKubeconfig, unmergeKubeconfig } from './kubeconfig-merge'
import { checkClusterName, clusterDir, readRecord, writeRecord, type ClusterRecord } from './state'
import { waitForCluster } from './wait'
import { freePort } from '../../src-cluster/util/net'
import { nodeKubeconfigPath, provisionCluster } from './provision'
import { formatStepEvent, type StepEvent } from '../ssh-provisioning/steps'
import type { SshTarget } from '../providers/types'
import { backupCluster, restoreMissingFiles, verifyForRestore, type VerifiedRestore } from './backup'
import { restartOnNode, restoreEtcdMembers, restoreOnNode } from './restore-node'
import { loadKubeconfig } from '../../src-cluster/client/kubeconfig'
import { restoreEmbedded, stamp } from '../../src-cluster/backup/embedded'
import { currentRevision, type TakenBackup } from '../../src-cluster/backup/take'

export interface CreateOptions {
  readonly provider: string
  readonly workers: number
  /**
   * Control-plane nodes: 1 (default), 3 or 5. Several run stacked etcd members (the store is
   * etcd), an API server each and leader-elected schedulers and controller managers, behind the
   * provider's stable API endpoint.
   */
  readonly controlPlanes?: number
  /** Provider settings (simulated: startDelay, runTime, cpu, memory, pods, ...). */
  readonly settings?: Record<string, string>
  /** How long to wait for every node to be Ready. Default 120 s + 50 ms per node. */
  readonly timeoutMs?: number
}

/** Where one operation reports to and how it is cancelled. */
export interface OperationHooks {
  /** One line per step, already prefixed with the elapsed time. */
  readonly progress?: (line: string) => void
  /**
   * Called when a phase begins, for UIs that show steps: `machines` (create only),
   * `control-plane`, `nodes`. Throwing from it aborts the operation (used by Cancel).
   */
  readonly step?: (phase: ClusterPhase) => void
  /** Provisioning step events (SSH providers): the desktop app shows them; default prints them. */
  readonly onStepEvent?: (e: StepEvent) => void
  /** Aborting cancels provisioning before its next step or line. */
  readonly signal?: AbortSignal
}

export interface ClusterManagerOptions extends OperationHooks {
  /** KUBELAB_HOME (read on every call), KUBECONFIG and HOME (the user's kubeconfig). */
  readonly env?: NodeJS.ProcessEnv
}

export type ClusterPhase = 'machines' | 'control-plane' | 'nodes'

/**
 * The cluster registry and lifecycle. One instance serves a whole process (the backend, a CLI
 * command); each long operation that reports progress or can be cancelled runs on a view made
 * with `forOperation`, which shares the registry and keeps its own clock and hooks.
 */
export class ClusterManager {
  private readonly env: NodeJS.ProcessEnv
  private readonly out: (line: string) => void
  private readonly phase: (phase: ClusterPhase) => void
  private t0 = Date.now()
  private readonly stepEvent?: (e: StepEvent) => void
  private readonly signal?: AbortSignal
  /** Step timings of the last provisioning run (benchmarks read them). */
  lastTimings: { step: string; node?: string; ms: number; ok: boolean }[] = []

  constructor(opts: ClusterManagerOptions = {}) {
    this.stepEvent = opts.onStepEvent
    this.signal = opts.signal
    this.env = opts.env ?? process.env
    this.out = opts.progress ?? (() => {})
    this.phase = opts.step ?? (() => {})
  }

  /** $KUBELAB_HOME, resolved on every call so a changed KUBELAB_HOME (tests, --home) is honoured. */
  get home(): string {
    return kubelabHome(this.env)
  }

  /** The same registry, reporting one operation's progress and phases to `hooks` (cancel: `hooks.signal`). */
  forOperation(hooks: OperationHooks): ClusterManager {
    return new ClusterManager({ ...hooks, env: this.env })
  }

  private progress(line: string): void {
    this.out(`[${((Date.now() - this.t0) / 1000).toFixed(1).padStart(5)}s] ${line}`)
  }

  dir(name: string): string {
    checkClusterName(name)
    return clusterDir(this.home, name)
  }

  private record(name: string): ClusterRecord {
    const rec = readRecord(this.dir(name))
    if (!rec) throw new Error(`no cluster named ${name} (looked in ${this.dir(name)}); see: kubelab list`)
    return rec
  }

  private ctx(rec: ClusterRecord): ProviderContext {
    return { clusterName: rec.name, clusterDir: this.dir(rec.name), nodes: rec.nodes, ports: rec.ports, settings: rec.settings, log: (l) => this.progress(l) }
  }

  private save(rec: ClusterRecord): void {
    writeRecord(this.dir(rec.name), rec)
  }

  list(): Promise<ClusterSummary[]> {
    return listClusters(this.home)
  }

  /** Creates a cluster, or finishes one whose creation was interrupted. */
  async create(name: string, opts: CreateOptions): Promise<ClusterRecord> {
    this.t0 = Date.now()
    const dir = this.dir(name)
    const provider = getProvider(opts.provider)
    if (!Number.isInteger(opts.workers) || opts.workers < 0 || opts.workers > 5000)
      throw new Error(`--workers must be a whole number from 0 to 5000, got ${opts.workers}`)
    const cps = opts.controlPlanes ?? 1
    if (![1, 3, 5].includes(cps))
      throw new Error(`--control-planes must be 1, 3 or 5 (etcd needs a majority: 3 members survive the loss of one, 5 of two), got ${opts.controlPlanes}`)
    if (cps > 1 && capabilitiesOf(opts.provider).hollowNodes)
      throw new Error('--control-planes runs an API server and an etcd member on each control-plane node: use --provider local, not simulated')
    if (cps > 1 && !provider.haApiEndpoint)
      throw new Error(
        `provider ${opts.provider} cannot run several control-plane nodes yet (no stable API endpoint in front of them): use --provider local, or --control-planes 1`,
      )
    if (cps > 1 && opts.settings?.store === 'embedded')
      throw new Error('--control-planes 3 keeps objects in etcd (one member on each control-plane node): leave out --store or give --store etcd')
    let rec = readRecord(dir)
    if (rec && rec.state !== 'creating' && rec.state !== 'error') {
      throw new Error(`cluster ${name} already exists (state ${rec.state}): use 'kubelab start ${name}', or 'kubelab delete ${name}' first`)
    }
    if (rec && rec.provider !== opts.provider)
      throw new Error(`an unfinished cluster ${name} with provider ${rec.provider} is in ${dir}: delete it first (kubelab delete ${name})`)
    const detected = await provider.detect()
    if (!detected.available) throw new Error(`provider ${opts.provider} is not available here: ${detected.problem}`)
    if (rec) this.progress(`resuming the interrupted creation of cluster ${name}`)
    else {
      const nodes: NodeRecord[] = [{ name: 'control-plane', role: 'control-plane', state: 'stopped' }]
      for (let i = 2; i <= cps; i++) nodes.push({ name: `control-plane-${i}`, role: 'control-plane', state: 'stopped' })
      for (let i = 1; i <= opts.workers; i++) nodes.push({ name: `${opts.settings?.prefix ?? 'node-'}${i}`, role: 'worker', state: 'stopped' })
      rec = {
        name,
        provider: opts.provider,
        state: 'creating',
        nodes,
        createdAt: new Date().toISOString(),
        ports: { apiServer: await freePort() },
        settings: { ...(opts.settings ?? {}), ...(cps > 1 ? { store: 'etcd' } : {}) },
      }
      this.save(rec)
      this.progress(
        `creating cluster ${name}: provider ${opts.provider}, ${cps} control-plane node${cps === 1 ? '' : 's'} + ${opts.workers} workers, API server port ${rec.ports.apiServer}`,
      )
    }
    // Ready must be posted after this moment: the node agents start during provisioning, and a
    // kubelet posts an unchanged status only every 5 min, so a later origin could miss the only
    // report a fresh node makes (seen as creates timing out with every node Ready).
    const agentsStartedAfter = new Date()
    try {
      this.phase('machines')
      // The machines are made (or made again, on a resumed create) now: their host keys are
      // learnt afresh at first contact and pinned from then on.
      for (const n of rec.nodes) forgetHostKey(hostKeyPin(dir, n.name))
      for (let i = 0; i < rec.nodes.length; i++) rec.nodes[i] = await provider.createNode(this.ctx(rec), rec.nodes[i]!)
      this.save(rec)
      if (capabilitiesOf(rec.provider).machines) {
        this.lastTimings = await provisionCluster({
          provider,
          ctx: this.ctx(rec),
          onEvent: (e) => (this.stepEvent ? this.stepEvent(e) : e.status !== 'line' || e.step === 'install' ? this.progress(formatStepEvent(e)) : undefined),
          cancelled: () => (this.signal?.aborted ? String(this.signal.reason ?? 'cancelled') : undefined),
        })
      }
      // VMs were started (SSH + cloud-init) and provisioned just now: waiting for each guest
      // again would only open one more SSH session into a VM busy starting its agents.
      await this.bringUp(rec, opts.timeoutMs, {
        machinesUp: capabilitiesOf(rec.provider).machines && provider.startsNodesTogether === true,
        since: agentsStartedAfter,
      })
      this.progress(`cluster ${name} is ready; kubeconfig: ${join(dir, 'kubeconfig')}`)
      return rec
    } catch (e) {
      // Left in 'creating' so a re-run resumes; the message says how.
      rec.problem = (e as Error).message
      this.save(rec)
      throw new Error(`${(e as Error).message}\n(cluster ${name} is left half-created: run the same create again to resume, or kubelab delete ${name})`)
    }
  }

  /**
   * Starts the control plane (and every node) and waits until all nodes are Ready. `o.since`:
   * when the node agents were started, if before this call (create provisions and starts them).
   */
  private async bringUp(rec: ClusterRecord, timeoutMs?: number, o: { machinesUp?: boolean; since?: Date } = {}): Promise<void> {
    const provider = getProvider(rec.provider)
    const ctx = this.ctx(rec)
    const control = rec.nodes.find((n) => n.role === 'control-plane')
    if (!control) throw new Error(`cluster ${rec.name} has no control-plane node in cluster.json`)
    const { hollowNodes } = capabilitiesOf(rec.provider)
    // Several control planes: any one of them may be stopped for a drill, the others carry on.
    const controls = rec.nodes.filter((n) => n.role === 'control-plane' && !n.drillStopped)
    const files = simulatedFiles(this.dir(rec.name))
    // A fresh start: the API server writes the kubeconfig when it listens and nodes post Ready
    // when they register, so a kubeconfig or Ready condition left from a previous run must not
    // count. A control plane already running (a re-run) has nothing new to post.
    const fresh = !hollowNodes || !controlPlanePid(ctx)
    const since = fresh ? (o.since ?? new Date()) : new Date(0)
    if (hollowNodes && fresh) rmSync(files.kubeconfig, { force: true })
    this.phase('control-plane')
    // Nodes stopped for a drill (kubelab node stop) stay stopped until kubelab node start.
    const drill = rec.nodes.filter((n) => n.drillStopped)
    if (drill.length)
      this.progress(
        `node${drill.length === 1 ? '' : 's'} ${drill.map((n) => n.name).join(', ')} stay${drill.length === 1 ? 's' : ''} stopped (kubelab node stop); bring ${drill.length === 1 ? 'it' : 'them'} back with kubelab node start ${rec.name} NODE`,
      )
    const workers = hollowNodes ? [] : rec.nodes.filter((n) => n.role === 'worker' && !n.drillStopped)
    if (o.machinesUp) {
      // nothing to start: create just started and provisioned every machine
    } else if (provider.startsNodesTogether) {
      // VMs boot side by side: waiting for each in turn would add one boot per node.
      await Promise.all([...controls, ...workers].map((n) => provider.start(ctx, n)))
    } else {
      for (const n of controls) await provider.start(ctx, n)
      for (const n of workers) await provider.start(ctx, n)
    }
    // A machine that came back at another address: provision again for the new addresses.
    if (!o.machinesUp) await repairAddressChanges(provider, ctx)
    await waitForCluster({
      since,
      kubeconfig: files.kubeconfig,
      nodes: rec.nodes.filter((n) => !n.drillStopped).map((n) => n.name),
      controlPlaneNode: control.name,
      controlPlaneNodes: controls.map((n) => n.name),
      // Emulated VMs start their agents several times slower (provider.timeoutScale).
      deadline: Date.now() + (timeoutMs ?? (120_000 + 50 * rec.nodes.length) * (provider.timeoutScale?.(ctx) ?? 1)),
      // A cancel (Ctrl-C) ends the wait too: nothing of ours runs on the nodes at this point.
      alive: () =>
        this.signal?.aborted
          ? `cancelled while waiting for the nodes to be Ready (${String(this.signal.reason ?? 'cancelled')})`
          : hollowNodes && !controlPlanePid(ctx)
            ? `the control plane exited; its log says:\n${tail(files.log)}`
            : undefined,
      progress: (l) => this.progress(l),
      apiServerUp: () => this.phase('nodes'),
    })
    for (const n of rec.nodes) n.state = n.drillStopped ? 'stopped' : 'running'
    rec.state = 'running'
    delete rec.problem
    this.save(rec)
  }

  async start(name: string, timeoutMs?: number): Promise<ClusterRecord> {
    this.t0 = Date.now()
    const rec = this.record(name)
    if (rec.state === 'creating') throw new Error(`cluster ${name} was never fully created: run kubelab create ${name} again to finish it`)
    rec.state = 'starting'
    this.save(rec)
    this.progress(`starting cluster ${name}`)
    await this.bringUp(rec, timeoutMs)
    this.progress(`cluster ${name} is running`)
    return rec
  }

  async stop(name: string): Promise<ClusterRecord> {
    this.t0 = Date.now()
    const rec = this.record(name)
    const provider = getProvider(rec.provider)
    rec.state = 'stopping'
    this.save(rec)
    // Workers first, the control plane last, as a real cluster shuts down.
    const ordered = [...rec.nodes].sort((a, b) => (a.role === b.role ? 0 : a.role === 'worker' ? -1 : 1))
    if (provider.startsNodesTogether) {
      await Promise.all(ordered.filter((n) => n.role === 'worker').map((n) => provider.stop(this.ctx(rec), n)))
      for (const n of ordered.filter((x) => x.role !== 'worker')) await provider.stop(this.ctx(rec), n)
    } else {
      for (const n of ordered) {
        if (capabilitiesOf(rec.provider).hollowNodes && n.role === 'worker') continue // they stop with the process
        await provider.stop(this.ctx(rec), n)
      }
    }
    for (const n of rec.nodes) n.state = 'stopped'
    rec.state = 'stopped'
    this.save(rec)
    this.progress(`cluster ${name} stopped`)
    return rec
  }

  /** Stops every process and removes the cluster folder (and its merged kubeconfig context). */
  async delete(name: string): Promise<void> {
    this.t0 = Date.now()
    const dir = this.dir(name)
    const rec = readRecord(dir)
    if (!rec && !existsSync(dir)) throw new Error(`no cluster named ${name} (looked in ${dir}); see: kubelab list`)
    if (rec) {
      rec.state = 'deleting'
      this.save(rec)
      const provider = getProvider(rec.provider)
      if (provider.deleteAll) await provider.deleteAll(this.ctx(rec), rec.nodes)
      else for (const n of rec.nodes) await provider.delete(this.ctx(rec), n)
    }
    rmSync(dir, { recursive: true, force: true })
    if (unmergeKubeconfig(this.userKubeconfig(), `kubelab-${name}`)) this.progress(`removed context kubelab-${name} from ${this.userKubeconfig()}`)
    this.progress(`cluster ${name} deleted`)
  }

  /** Writes a verified backup of a running cluster; default file: ./kubelab-NAME-TIME.backup.tar.gz. */
  async backup(name: string, out?: string): Promise<TakenBackup> {
    this.t0 = Date.now()
    const rec = this.record(name)
    const file = resolvePath(out ?? `kubelab-${name}-${stamp()}.backup.tar.gz`)
    return backupCluster(rec, this.dir(name), file, (l) => this.progress(l))
  }

  /**
   * Brings a cluster back to a backup: verify everything first, stop the cluster, put the
   * store snapshot in place (the replaced store is kept beside it), start it and wait until its
   * nodes are Ready again. Simulated: the store is in the cluster folder; other providers: on the
   * control-plane node over SSH (restore-node.ts), the rest of the cluster running on.
   */
  async restore(name: string, file: string): Promise<void> {
    this.t0 = Date.now()
    const rec = this.record(name)
    const dir = this.dir(name)
    if (rec.state === 'creating')
      throw new Error(`cluster ${name} was never fully created: finish it (kubelab create ${name}) or delete it before restoring into it`)
    const v = await verifyForRestore(rec, dir, resolvePath(file), (l) => this.progress(l))
    try {
      if (!capabilitiesOf(rec.provider).hollowNodes) return await this.restoreOnNodes(rec, resolvePath(file), v)
      const wasRunning = rec.state === 'running' || controlPlanePid(this.ctx(rec)) !== undefined
      if (wasRunning) {
        this.progress(`stopping cluster ${name} for the restore`)
        await this.stop(name)
      }
      try {
        await restoreEmbedded({ dataDir: simulatedFiles(dir).dataDir, snapshotFile: v.snapshotFile, log: (l) => this.progress(l) })
      } catch (e) {
        const msg = `${e instanceof Error ? e.message : String(e)}`
        if (wasRunning) {
          this.progress(`restore failed; starting cluster ${name} again on its unchanged store`)
          await this.start(name).catch((se: unknown) => this.progress(`starting it again failed too: ${se instanceof Error ? se.message : String(se)}`))
        }
        throw new Error(`${msg}${wasRunning ? '' : `; cluster ${name} stays stopped`}`)
      }
      restoreMissingFiles(dir, v.backup, (l) => this.progress(l))
      this.progress(`starting cluster ${name} on the restored store`)
      await this.start(name)
      this.progress(`cluster ${name} restored to its state at ${v.backup.manifest.createdAt} (revision ${v.backup.manifest.revision})`)
    } finally {
      v.cleanup()
    }
  }

  /** The control plane runs on a node: restore its store over SSH, then wait for Ready nodes. */
  private async restoreOnNodes(rec: ClusterRecord, file: string, v: VerifiedRestore): Promise<void> {
    const name = rec.name
    if (rec.state !== 'running')
      throw new Error(`cluster ${name} is ${rec.state}: start it first (kubelab start ${name}); the restore runs on its control-plane node`)
    const control = rec.nodes.find((n) => n.role === 'control-plane')
    if (!control) throw new Error(`cluster ${name} has no control-plane node in cluster.json`)
    const controls = rec.nodes.filter((n) => n.role === 'control-plane')
    const away = controls.filter((n) => n.drillStopped)
    if (controls.length > 1 && away.length)
      throw new Error(
        `node${away.length === 1 ? '' : 's'} ${away.map((n) => n.name).join(', ')} of cluster ${name} ${away.length === 1 ? 'is' : 'are'} stopped: a restore replaces every etcd member's data, so start ${away.length === 1 ? 'it' : 'them'} first (kubelab node start ${name} ${away[0]!.name}); nothing was changed`,
      )
    const kubeconfig = this.kubeconfigPath(name)
    let minRevision: number
    try {
      minRevision = await currentRevision(loadKubeconfig(kubeconfig))
    } catch (e) {
      throw new Error(
        `cannot read the store's revision from the API server (${e instanceof Error ? e.message : String(e)}): is the cluster up? (kubelab start ${name}); nothing was changed`,
      )
    }
    const since = new Date()
    if (controls.length > 1)
      await restoreEtcdMembers({
        provider: getProvider(rec.provider),
        ctx: this.ctx(rec),
        nodes: controls,
        file,
        minRevision,
        progress: (l) => this.progress(l),
      })
    else
      await restoreOnNode({
        provider: getProvider(rec.provider),
        ctx: this.ctx(rec),
        node: control,
        store: rec.settings.store === 'etcd' ? 'etcd' : 'embedded',
        file,
        minRevision,
        progress: (l) => this.progress(l),
      })
    restoreMissingFiles(this.dir(name), v.backup, (l) => this.progress(l))
    const provider = getProvider(rec.provider)
    for (const c of controls) await restartOnNode(provider, this.ctx(rec), c, ['scheduler', 'controller-manager', 'kubelet'], (l) => this.progress(l))
    for (const n of rec.nodes) if (n.role === 'worker' && !n.drillStopped) await restartOnNode(provider, this.ctx(rec), n, ['kubelet'], (l) => this.progress(l))
    await waitForCluster({
      since,
      // A Lease renewed before the kubelets were restarted is the old kubelets' heartbeat.
      leaseSince: new Date(),
      kubeconfig,
      nodes: rec.nodes.filter((n) => !(n.role === 'worker' && n.drillStopped)).map((n) => n.name),
      deadline: Date.now() + 180_000,
      alive: () => undefined,
      progress: (l) => this.progress(l),
    })
    this.progress(`cluster ${name} restored to its state at ${v.backup.manifest.createdAt} (revision ${v.backup.manifest.revision})`)
  }

  async nodeStop(name: string, node: string): Promise<void> {
    await this.nodeAction(name, node, 'stop')
  }

  async nodeStart(name: string, node: string): Promise<void> {
    await this.nodeAction(name, node, 'start')
  }

  private async nodeAction(name: string, node: string, action: 'stop' | 'start'): Promise<void> {
    this.t0 = Date.now()
    const rec = this.record(name)
    const n = rec.nodes.find((x) => x.name === node)
    if (!n) throw new Error(`cluster ${name} has no node ${node}; its nodes: ${rec.nodes.map((x) => x.name).join(', ')}`)
    const cps = rec.nodes.filter((x) => x.role === 'control-plane')
    if (n.role === 'control-plane' && cps.length === 1)
      throw new Error(`${node} is the control-plane node: use kubelab ${action} ${name} for the whole cluster`)
    // etcd needs a majority of its members: refuse a stop that would lose it.
    if (n.role === 'control-plane' && action === 'stop' && !n.drillStopped) {
      const up = cps.filter((x) => !x.drillStopped && x.name !== n.name).length
      if (up < Math.floor(cps.length / 2) + 1)
        throw new Error(
          `stopping ${node} would leave ${up} of ${cps.length} control-plane nodes: etcd needs ${Math.floor(cps.length / 2) + 1} to keep a quorum; start another one first (kubelab node start ${name} NODE)`,
        )
    }
    const provider = getProvider(rec.provider)
    const ctx = this.ctx(rec)
    await provider[action](ctx, n)
    if (action === 'start') await repairAddressChanges(provider, ctx)
    n.state = action === 'stop' ? 'stopped' : 'running'
    if (action === 'stop') n.drillStopped = true
    else delete n.drillStopped
    this.save(rec)
    this.progress(`node ${node} ${action === 'stop' ? 'stopped' : 'started'}`)
  }

  /**
   * Makes a NodePort reachable from the host on providers whose nodes the host cannot address
   * (qemu): a forward 127.0.0.1:hostPort → the control plane's NodePort (every node serves it).
   */
  async forwardNodePort(name: string, nodePort: number, hostPort?: number): Promise<{ host: string; port: number }> {
    const rec = this.record(name)
    if (!Number.isInteger(nodePort) || nodePort < 1 || nodePort > 65535)
      throw new Error(`${nodePort} is not a TCP port: give the Service's nodePort (kubectl get svc shows it after the colon, e.g. 80:30080/TCP)`)
    const provider = getProvider(rec.provider)
    const cp = rec.nodes.find((n) => n.role === 'control-plane')
    if (!provider.forwardPort || !cp) {
      throw new Error(`provider ${rec.provider} needs no forward: reach NodePort ${nodePort} at any node's address (kubectl get nodes -o wide)`)
    }
    return { host: '127.0.0.1', port: await provider.forwardPort(this.ctx(rec), cp, nodePort, hostPort) }
  }

  /** How to reach a node over SSH (providers with machines), with its filesystem root. */
  async sshTarget(name: string, node: string): Promise<SshTarget> {
    const rec = this.record(name)
    const n = rec.nodes.find((x) => x.name === node)
    if (!n) throw new Error(`cluster ${name} has no node ${node}; its nodes: ${rec.nodes.map((x) => x.name).join(', ')}`)
    const t = await getProvider(rec.provider).sshTarget(this.ctx(rec), n)
    if (!t) throw new Error(`node ${node} of cluster ${name} (provider ${rec.provider}) has no shell to log in to`)
    return t
  }

  nodeNames(name: string): string[] {
    return this.record(name).nodes.map((n) => n.name)
  }

  kubeconfigPath(name: string): string {
    const rec = this.record(name)
    const path = join(this.dir(rec.name), 'kubeconfig')
    if (!existsSync(path)) throw new Error(`cluster ${name} has no kubeconfig yet (state ${rec.state}): start it first`)
    return path
  }

  /**
   * The admin kubeconfig for use inside the cluster (lab scripts on nodes): VM providers reach
   * the API server from the host through a forward the nodes cannot use. Others: the host's.
   */
  inClusterKubeconfigPath(name: string): string {
    const p = nodeKubeconfigPath(this.dir(this.record(name).name))
    return existsSync(p) ? p : this.kubeconfigPath(name)
  }

  /** How much slower than hardware the cluster's nodes run (qemu under TCG: 4); time limits scale with it. */
  timeoutScale(name: string): number {
    const rec = this.record(name)
    return getProvider(rec.provider).timeoutScale?.(this.ctx(rec)) ?? 1
  }

  userKubeconfig(): string {
    const first = this.env.KUBECONFIG?.split(process.platform === 'win32' ? ';' : ':').find((p) => p.trim() !== '')
    return first ?? join(this.env.HOME ?? homedir(), '.kube', 'config')
  }

  /** Adds/updates context kubelab-NAME in the user's kubeconfig; returns its path. */
  mergeKubeconfig(name: string, makeCurrent = true): string {
    const target = this.userKubeconfig()
    mergeKubeconfig(this.kubeconfigPath(name), target, `kubelab-${name}`, makeCurrent)
    return target
  }
}

function tail(file: string, lines = 20): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n')
  } catch {
    return `(no log at ${file})`
  }
}
