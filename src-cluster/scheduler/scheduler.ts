// The scheduler: informers feed the cache (bound pods, nodes) and the queue (pending pods);
// one loop pops a pod, runs the framework, assumes the pod on the chosen node and binds it in
// the background so the next decision need not wait for the API server.
import type { PersistentVolume, PersistentVolumeClaim, ReplicationController, Service } from 'kubernetes-types/core/v1'
import type { ReplicaSet, StatefulSet } from 'kubernetes-types/apps/v1'
import type { Namespace } from 'kubernetes-types/core/v1'
import type { KubeObject } from '../api/object'
import { EventRecorder, InformerFactory, isConflict, isNotFound, type Client, type Informer } from '../client'
import { realClock, type Clock } from '../util/clock'
import { SchedulerCache } from './cache'
import { defaultSelector } from './default-selector'
import { FitError } from './diagnosis'
import { Framework } from './framework'
import { Nominator } from './nominator'
import { newPodInfo, podKey } from './pod-info'
import { DEFAULT_FILTERS, DEFAULT_SCORES } from './plugins'
import { DISRUPTION_TARGET, REASON_PREEMPTION_BY_SCHEDULER, pdbView, preempt, type Candidate } from './preemption'
import { SchedulingQueue, type ClusterEvent, type QueueOptions, type QueuedPod } from './queue'
import type { CycleContext, PodInfo } from './types'
import type { NodeObj, PodObj } from '../kit/objects'
import { RES } from '../kit/resources'
import { rfc3339 } from '../kit/time'

export const DEFAULT_SCHEDULER_NAME = 'default-scheduler'

export interface SchedulerOptions {
  readonly client: Client
  readonly clock?: Clock
  /** Pods whose spec.schedulerName is this are ours (pods without one default to default-scheduler). */
  readonly schedulerName?: string
  readonly log?: (line: string) => void
  /** Share informers with other components in the process; otherwise the scheduler makes its own. */
  readonly informers?: InformerFactory
  readonly recorder?: EventRecorder
  readonly queue?: QueueOptions
  /** 0 = upstream's adaptive sampling. */
  readonly percentageOfNodesToScore?: number
  /** Bindings in flight at once before the loop waits for one to finish. */
  readonly maxInFlightBindings?: number
  readonly random?: () => number
}

export interface SchedulerStats {
  readonly scheduled: number
  readonly failedAttempts: number
  readonly bindErrors: number
  /** Pods evicted to make room for higher-priority ones. */
  readonly preemptionVictims: number
  readonly pending: { active: number; backoff: number; unschedulable: number; inFlight: number }
}

// Which filter plugins' verdicts each kind of cluster change can flip (coarse queueing hints).
const ALL: ClusterEvent = { name: 'NodeChange', plugins: 'all' }
const ASSIGNED_POD_ADD: ClusterEvent = { name: 'AssignedPodAdd', plugins: new Set(['InterPodAffinity', 'PodTopologySpread']) }
const ASSIGNED_POD_UPDATE: ClusterEvent = { name: 'AssignedPodUpdate', plugins: new Set(['InterPodAffinity', 'PodTopologySpread']) }
const ASSIGNED_POD_DELETE: ClusterEvent = {
  name: 'AssignedPodDelete',
  plugins: new Set(['NodeResourcesFit', 'NodePorts', 'InterPodAffinity', 'PodTopologySpread']),
}

function sameLabels(a: PodObj, b: PodObj): boolean {
  return JSON.stringify(a.metadata?.labels ?? {}) === JSON.stringify(b.metadata?.labels ?? {})
}

export class Scheduler {
  readonly cache = new SchedulerCache()
  readonly queue: SchedulingQueue
  readonly framework: Framework
  readonly nominator = new Nominator()
  readonly schedulerName: string
  private readonly client: Client
  private readonly clock: Clock
  private readonly log: (line: string) => void
  private readonly informers: InformerFactory
  private readonly ownInformers: boolean
  private readonly recorder: EventRecorder
  private readonly maxInFlight: number
  private pods!: Informer<PodObj>
  private services!: Informer<Service & KubeObject>
  /** Undefined when the API server does not serve ReplicationControllers. */
  private rcs: Informer<ReplicationController & KubeObject> | undefined
  private rss!: Informer<ReplicaSet & KubeObject>
  private sss!: Informer<StatefulSet & KubeObject>
  private pdbs!: Informer<KubeObject>
  private readonly random: () => number
  private binding = new Set<Promise<void>>()
  private slotWaiters: (() => void)[] = []
  private loop: Promise<void> | undefined
  private stopped = false
  private counts = { scheduled: 0, failedAttempts: 0, bindErrors: 0, preemptionVictims: 0 }

  constructor(opts: SchedulerOptions) {
    this.client = opts.client
    this.clock = opts.clock ?? realClock
    this.log = opts.log ?? ((l) => console.log(l))
    this.schedulerName = opts.schedulerName ?? DEFAULT_SCHEDULER_NAME
    this.ownInformers = !opts.informers
    this.informers = opts.informers ?? new InformerFactory(this.client, { clock: this.clock, log: this.log })
    this.recorder = opts.recorder ?? new EventRecorder(this.client, this.schedulerName, this.clock, { log: this.log })
    this.maxInFlight = opts.maxInFlightBindings ?? 256
    this.queue = new SchedulingQueue(this.clock, opts.queue)
    this.random = opts.random ?? Math.random
    this.framework = new Framework({
      filters: DEFAULT_FILTERS,
      scores: DEFAULT_SCORES,
      percentageOfNodesToScore: opts.percentageOfNodesToScore,
      random: opts.random,
    })
  }

  /** Fill the caches, then schedule until stop(). Resolves once the informers have synced. */
  async start(): Promise<void> {
    // Finished pods hold no resources: the field selector makes them leave the cache as deletions.
    this.pods = this.informers.for<PodObj>(RES.pods, { fieldSelector: 'status.phase!=Succeeded,status.phase!=Failed' })
    const nodes = this.informers.for<NodeObj>(RES.nodes)
    const namespaces = this.informers.for<Namespace & KubeObject>(RES.namespaces)
    this.services = this.informers.for(RES.services)
    this.rcs = this.informers.for(RES.replicationcontrollers)
    this.rss = this.informers.for(RES.replicasets)
    this.sss = this.informers.for(RES.statefulsets)
    this.pdbs = this.informers.for(RES.pdbs)
    const pvcs = this.informers.for<PersistentVolumeClaim & KubeObject>(RES.pvcs)
    const pvs = this.informers.for<PersistentVolume & KubeObject>(RES.pvs)
    this.cache.volumes = { claim: (ns, name) => pvcs.get(`${ns}/${name}`), volume: (name) => pvs.get(name) }
    // A claim made or bound may let a waiting pod go (upstream's PVC/PV cluster events).
    for (const inf of [pvcs, pvs] as Informer<KubeObject>[])
      inf.addHandler({ add: () => this.queue.moveAllToActiveOrBackoff(ALL), update: () => this.queue.moveAllToActiveOrBackoff(ALL) })

    // Nodes first, so bound pods land on known nodes.
    nodes.addHandler({
      add: (n) => this.onNode(n),
      update: (_, n) => this.onNode(n),
      delete: (n) => this.cache.removeNode(String(n.metadata?.name)),
    })
    namespaces.addHandler({
      add: (ns) => this.cache.setNamespace(String(ns.metadata?.name), ns.metadata?.labels ?? {}),
      update: (_, ns) => this.cache.setNamespace(String(ns.metadata?.name), ns.metadata?.labels ?? {}),
      delete: (ns) => this.cache.setNamespace(String(ns.metadata?.name), undefined),
    })
    this.pods.addHandler({
      add: (p) => this.onPodAdd(p),
      update: (o, p) => this.onPodUpdate(o, p),
      delete: (p) => this.onPodDelete(p),
    })
    const all = [nodes, namespaces, this.services, this.rss, this.sss, this.pdbs, pvcs, pvs, this.pods, ...(this.rcs ? [this.rcs] : [])]
    if (this.ownInformers) await this.informers.startAll()
    else await Promise.all(all.map((i) => i.start()))
    this.log(
      `scheduler ${this.schedulerName}: caches synced (${this.cache.listNodes().length} nodes, ${this.cache.podCount()} bound pods, ${this.queue.stats().active} pending)`,
    )
    this.loop = this.run()
  }

  /** Stop scheduling; waits for the loop and the bindings in flight. */
  async stop(): Promise<void> {
    this.stopped = true
    this.queue.close()
    for (const w of this.slotWaiters.splice(0)) w()
    await this.loop
    await Promise.allSettled([...this.binding])
    await this.recorder.flush()
    if (this.ownInformers) this.informers.stopAll()
  }

  stats(): SchedulerStats {
    return { ...this.counts, pending: this.queue.stats() }
  }

  // ---- informer events ----

  private responsibleFor(p: PodObj): boolean {
    return (p.spec?.schedulerName ?? DEFAULT_SCHEDULER_NAME) === this.schedulerName
  }

  /** Unbound, not terminating, ours, and not held back by spec.schedulingGates. */
  private pending(p: PodObj): boolean {
    return !p.spec?.nodeName && !p.metadata?.deletionTimestamp && this.responsibleFor(p) && !p.spec?.schedulingGates?.length
  }

  private onNode(n: NodeObj): void {
    if (this.cache.setNode(n)) this.queue.moveAllToActiveOrBackoff(ALL)
  }

  private onPodAdd(p: PodObj): void {
    if (p.spec?.nodeName) {
      this.cache.addPod(p)
      this.queue.delete(podKey(p))
      this.nominator.delete(podKey(p))
      this.queue.moveAllToActiveOrBackoff(ASSIGNED_POD_ADD)
    } else if (this.pending(p)) {
      const info = newPodInfo(p)
      this.nominator.onPending(undefined, info)
      this.queue.add(info)
    }
  }

  private onPodUpdate(old: PodObj, p: PodObj): void {
    const key = podKey(p)
    if (p.spec?.nodeName) {
      this.cache.addPod(p) // confirms our assumption, or tracks someone else's binding
      this.queue.delete(key)
      this.nominator.delete(key)
      if (!old.spec?.nodeName) this.queue.moveAllToActiveOrBackoff(ASSIGNED_POD_ADD)
      else if (!sameLabels(old, p)) this.queue.moveAllToActiveOrBackoff(ASSIGNED_POD_UPDATE)
    } else if (this.pending(p)) {
      // Our own status write (PodScheduled=False) comes back as an update: nothing to redo.
      if (this.cache.isAssumed(key)) return
      this.nominator.onPending(old, newPodInfo(p))
      if (JSON.stringify(old.spec) === JSON.stringify(p.spec) && sameLabels(old, p) && this.queue.has(key)) return
      this.queue.update(newPodInfo(p))
    } else {
      this.queue.delete(key)
      this.nominator.delete(key)
    }
  }

  private onPodDelete(p: PodObj): void {
    const key = podKey(p)
    this.queue.delete(key)
    this.nominator.delete(key)
    if (this.cache.nodeOfPod(key) !== undefined) {
      this.cache.removePod(key)
      this.queue.moveAllToActiveOrBackoff(ASSIGNED_POD_DELETE)
    }
  }

  // ---- the scheduling loop ----

  private async run(): Promise<void> {
    let n = 0
    while (!this.stopped) {
      const qp = await this.queue.pop()
      if (!qp) return
      try {
        await this.scheduleOne(qp)
      } catch (e) {
        this.log(`scheduler: scheduling ${qp.info.key} failed unexpectedly: ${(e as Error).stack ?? String(e)}`)
        this.queue.done(qp.info.key)
        this.queue.retryLater(qp)
      }
      // Let watch events and binding answers in between decisions.
      if (++n % 8 === 0) await new Promise<void>((r) => setImmediate(r))
    }
  }

  private async scheduleOne(qp: QueuedPod): Promise<void> {
    const key = qp.info.key
    const current = this.pods.get(key)
    if (!current || !this.pending(current) || this.cache.isAssumed(key)) return this.queue.done(key)
    if (current !== qp.info.pod) qp.info = newPodInfo(current)
    const ctx: CycleContext = {
      pod: qp.info,
      cache: this.cache,
      defaultSpreadSelector: (p) =>
        defaultSelector(p, {
          services: (ns) => this.services.byIndex?.('namespace', ns) ?? [],
          replicationController: (ns, name) => this.rcs?.get(`${ns}/${name}`),
          replicaSet: (ns, name) => this.rss.get(`${ns}/${name}`),
          statefulSet: (ns, name) => this.sss.get(`${ns}/${name}`),
        }),
      nominatedPods: (node) => this.nominator.atLeast(node, qp.info.priority, key),
    }
    let nodeName: string
    try {
      nodeName = this.framework.schedule(ctx).node
    } catch (e) {
      if (!(e instanceof FitError)) throw e
      this.counts.failedAttempts++
      // PostFilter: make room by evicting pods of lower priority, or say why that cannot help
      // (not when there are no nodes at all: upstream fails before filtering then).
      if (e.numAllNodes === 0) {
        this.queue.addUnschedulable(qp, e.plugins)
        this.reportUnschedulable(qp.info, e.message)
        return
      }
      const outcome = preempt({
        framework: this.framework,
        ctx,
        fit: e,
        nominatedNode: this.nominator.nominatedNode(key) ?? current.status?.nominatedNodeName,
        pdbs: (ns) => (this.pdbs.byIndex?.('namespace', ns) ?? []).map(pdbView),
        random: this.random,
      })
      let message = e.message
      let nominate: string | null | undefined
      if (outcome.candidate) {
        nominate = outcome.candidate.node
        this.nominator.add(qp.info, nominate)
        await this.evict(qp.info, outcome.candidate)
      } else {
        message += ` preemption: ${outcome.message}`
        if (outcome.clearNomination) {
          nominate = null
          this.nominator.delete(key)
        }
      }
      this.queue.addUnschedulable(qp, e.plugins)
      this.reportUnschedulable(qp.info, message, nominate)
      return
    }
    this.cache.assumePod(qp.info, nodeName)
    this.nominator.delete(key)
    this.queue.done(key)
    while (this.binding.size >= this.maxInFlight && !this.stopped) await new Promise<void>((r) => this.slotWaiters.push(r))
    const p = this.bind(qp, nodeName).finally(() => {
      this.binding.delete(p)
      this.slotWaiters.shift()?.()
    })
    this.binding.add(p)
  }

  private async bind(qp: QueuedPod, nodeName: string): Promise<void> {
    const { pod, key, namespace } = qp.info
    const name = String(pod.metadata?.name)
    try {
      await this.client.createSubresource(
        RES.pods,
        namespace,
        name,
        'binding',
        {
          apiVersion: 'v1',
          kind: 'Binding',
          metadata: { name, namespace, uid: pod.metadata?.uid },
          target: { apiVersion: 'v1', kind: 'Node', name: nodeName },
        },
        // The answer (a Status) says nothing a success needs.
        { readAnswer: false },
      )
      this.counts.scheduled++
      this.recorder.event(pod, 'Normal', 'Scheduled', `Successfully assigned ${namespace}/${name} to ${nodeName}`)
    } catch (e) {
      this.counts.bindErrors++
      this.cache.forgetPod(key)
      // The assumed resources are free again: pods parked for lack of them may fit now.
      this.queue.moveAllToActiveOrBackoff(ASSIGNED_POD_DELETE)
      if (isNotFound(e)) return // the pod is gone
      const msg = (e as Error).message
      if (isConflict(e) && /already assigned|being deleted/.test(msg)) return
      this.log(`scheduler: binding ${key} to ${nodeName} failed, will retry: ${msg}`)
      this.recorder.event(pod, 'Warning', 'FailedScheduling', `Binding rejected: ${msg}`)
      const current = this.pods.get(key)
      if (current && this.pending(current)) this.queue.retryLater(qp)
    }
  }

  /**
   * Upstream's prepareCandidate: each victim gets DisruptionTarget=True (PreemptionByScheduler)
   * and a graceful delete, with a Preempted event; lower-priority pods nominated to the node
   * lose that nomination (they would no longer fit) and go back to the queue.
   */
  private async evict(preemptor: PodInfo, c: Candidate): Promise<void> {
    const uid = String(preemptor.pod.metadata?.uid ?? '')
    const condition = {
      type: DISRUPTION_TARGET,
      status: 'True',
      reason: REASON_PREEMPTION_BY_SCHEDULER,
      message: `${this.schedulerName}: preempting to accommodate a higher priority pod`,
      lastTransitionTime: rfc3339(this.clock.now()),
    }
    this.log(`scheduler: preempting ${c.victims.map((v) => v.key).join(', ')} on ${c.node} for ${preemptor.key}`)
    await Promise.all(
      c.victims.map(async (v) => {
        const name = String(v.pod.metadata?.name)
        try {
          await this.client.patch(RES.pods, v.namespace, name, { status: { conditions: [condition] } }, 'strategic', { subresource: 'status' })
          await this.client.delete(RES.pods, v.namespace, name, { preconditions: { uid: v.pod.metadata?.uid } })
          this.counts.preemptionVictims++
          this.recorder.event(v.pod, 'Normal', 'Preempted', `Preempted by pod ${uid} on node ${c.node}`)
        } catch (e) {
          if (!isNotFound(e) && !isConflict(e)) this.log(`scheduler: could not preempt ${v.key}: ${(e as Error).message}`)
        }
      }),
    )
    for (const p of this.nominator.lowerThan(c.node, preemptor.priority)) {
      this.nominator.delete(p.key)
      this.client
        .patch(RES.pods, p.namespace, String(p.pod.metadata?.name), { status: { nominatedNodeName: null } }, 'strategic', { subresource: 'status' })
        .catch((e: unknown) => {
          if (!isNotFound(e)) this.log(`scheduler: could not clear the nominated node of ${p.key}: ${(e as Error).message}`)
        })
    }
  }

  /**
   * PodScheduled=False/Unschedulable with the reason text, and a FailedScheduling event;
   * `nominate` sets (a node) or clears (null) status.nominatedNodeName, undefined keeps it.
   */
  private reportUnschedulable(info: PodInfo, message: string, nominate?: string | null): void {
    const pod = this.pods.get(info.key) ?? info.pod
    this.recorder.event(pod, 'Warning', 'FailedScheduling', message)
    const cur = (pod.status?.conditions ?? []).find((c) => c.type === 'PodScheduled')
    const nominationChanges = nominate !== undefined && (pod.status?.nominatedNodeName ?? null) !== nominate
    if (!nominationChanges && cur && cur.status === 'False' && cur.reason === 'Unschedulable' && cur.message === message) return
    const now = rfc3339(this.clock.now())
    const condition = {
      type: 'PodScheduled',
      status: 'False',
      reason: 'Unschedulable',
      message,
      lastProbeTime: null,
      lastTransitionTime: cur && cur.status === 'False' ? (cur.lastTransitionTime ?? now) : now,
    }
    const name = String(pod.metadata?.name)
    const status = nominationChanges ? { conditions: [condition], nominatedNodeName: nominate } : { conditions: [condition] }
    this.client.patch(RES.pods, info.namespace, name, { status }, 'strategic', { subresource: 'status' }).catch((e: unknown) => {
      if (!isNotFound(e)) this.log(`scheduler: could not set PodScheduled=False on ${info.key}: ${(e as Error).message}`)
    })
  }
}

/** Build and start a scheduler; resolves once its caches are synced and it is scheduling. */
export async function startScheduler(opts: SchedulerOptions): Promise<Scheduler> {
  const s = new Scheduler(opts)
  await s.start()
  return s
}
