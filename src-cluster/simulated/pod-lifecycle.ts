// A hollow kubelet's pod handling for every simulated node at once: pods bound to one of our
// nodes go Pending → (init containers, in order) → Running after the start delay; pods that do
// not restart (restartPolicy Never/OnFailure) finish after the run time; terminating pods are
// deleted with grace 0 after a short simulated shutdown. The stored pod is the truth about its
// stage; memory only holds when the next step is due, so a restart picks up where it stopped.
import type { Client, InformerShape } from '../client/types'
import type { Clock, TimerHandle } from '../util/clock'
import { parseDurationMs } from './duration'
import { IpPool } from './ip-pool'
import { KeyedRunner } from './keyed-runner'
import { podStatusFor, stageOf, type PodStage } from './pod-status'
import type { PodObj } from '../kit/objects'
import { RES } from '../kit/resources'
import { keyOf } from '../kit/keys'
import { rfc3339 } from '../kit/time'

export const RUN_TIME_ANNOTATION = 'kubelab.dev/simulated-run-time'
export const EXIT_CODE_ANNOTATION = 'kubelab.dev/simulated-exit-code'
/** Name of the pod informer index by spec.nodeName (add it with Informer.addIndexer). */
export const NODE_INDEX = 'nodeName'

/** What the pod handling needs to know about the nodes this process simulates. */
export interface NodeHost {
  owns(node: string): boolean
  isRunning(node: string): boolean
  hostIP(node: string): string
  /** spec.podCIDR as the IPAM controller assigned it; undefined until then. */
  podCIDR(node: string): string | undefined
}

export interface PodLifecycleOptions {
  readonly startDelayMs: number
  readonly runTimeMs: number
  readonly shutdownMs: number
}

interface Tracked {
  uid: string
  node: string
  /** Clock time (ms) at which the pod may take its next step. */
  dueAt: number
  ip?: string
  timer?: TimerHandle
  timerAt?: number
  /** Clock time at which a terminating pod's simulated shutdown ends. */
  shutdownAt?: number
  /**
   * The pod as our last status write left it, until the informer has caught up with it: the
   * next step builds on it, so a watch running behind does not turn that step into a 409.
   */
  written?: PodObj
}

/** Ready and ContainersReady both True, as this kubelet writes a running pod. */
function readyAsWritten(pod: PodObj): boolean {
  const c = pod.status?.conditions ?? []
  return ['Ready', 'ContainersReady'].every((type) => c.find((x) => x.type === type)?.status === 'True')
}

function apiCode(e: unknown): number | undefined {
  const c = (e as { code?: unknown } | null)?.code
  return typeof c === 'number' ? c : undefined
}

export class PodLifecycle {
  private readonly tracked = new Map<string, Tracked>()
  private readonly pools = new Map<string, IpPool>()
  private readonly runner: KeyedRunner

  constructor(
    /** The client of the node a pod is bound to (each hollow kubelet writes as itself). */
    private readonly clientFor: (node: string) => Client,
    private readonly pods: InformerShape<PodObj>,
    private readonly host: NodeHost,
    private readonly clock: Clock,
    private readonly opts: PodLifecycleOptions,
    log: (line: string) => void,
  ) {
    this.runner = new KeyedRunner(
      (k) => this.sync(k),
      (l) => log(`simulated-nodes: ${l}`),
    )
    pods.addHandler({
      add: (p) => this.enqueue(p),
      update: (_o, p) => this.enqueue(p),
      delete: (p) => this.runner.enqueue(keyOf(p)),
    })
  }

  private enqueue(p: PodObj): void {
    const node = p.spec?.nodeName
    if (node && this.host.owns(node)) this.runner.enqueue(keyOf(p))
  }

  /** Re-examine every pod on `node` (it started again, or got its podCIDR). */
  resyncNode(node: string): void {
    for (const p of this.podsOn(node)) this.runner.enqueue(keyOf(p))
  }

  /** Pods bound to `node` (the informer's node index when it has one). */
  podsOn(node: string): PodObj[] {
    return this.pods.byIndex ? this.pods.byIndex(NODE_INDEX, node) : this.pods.list().filter((p) => p.spec?.nodeName === node)
  }

  /** Running pods on `node`: what the metrics report on. */
  runningPods(node: string): PodObj[] {
    return this.podsOn(node).filter((p) => p.status?.phase === 'Running')
  }

  stop(): void {
    this.runner.stop()
    for (const t of this.tracked.values()) t.timer?.cancel()
    this.tracked.clear()
  }

  private pool(node: string): IpPool | undefined {
    const cidr = this.host.podCIDR(node)
    if (!cidr) return undefined
    let pool = this.pools.get(node)
    if (!pool || pool.cidr !== cidr) {
      pool = new IpPool(cidr)
      // IPs of pods already holding one on this node stay theirs (restart, re-assigned CIDR).
      for (const p of this.podsOn(node)) {
        const ip = p.status?.podIP
        if (ip && p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed') pool.reserve(ip)
      }
      this.pools.set(node, pool)
    }
    return pool
  }

  private forget(key: string): void {
    const t = this.tracked.get(key)
    if (!t) return
    t.timer?.cancel()
    if (t.ip) this.pools.get(t.node)?.release(t.ip)
    this.tracked.delete(key)
  }

  private wakeAt(key: string, t: Tracked, at: number): void {
    if (t.timer && t.timerAt === at) return
    t.timer?.cancel()
    t.timerAt = at
    t.timer = this.clock.after(at - this.clock.now().getTime(), () => {
      t.timer = undefined
      t.timerAt = undefined
      this.runner.enqueue(key)
    })
  }

  /** The newest pod we know: the informer's, or the one our last write returned if that is newer. */
  private newest(key: string): PodObj | undefined {
    const pod = this.pods.get(key)
    const t = this.tracked.get(key)
    const w = t?.written
    if (!pod || !w) return pod
    if (w.metadata?.uid === pod.metadata?.uid && Number(w.metadata?.resourceVersion) > Number(pod.metadata?.resourceVersion)) return w
    t.written = undefined
    return pod
  }

  private async sync(key: string): Promise<void> {
    const pod = this.newest(key)
    const node = pod?.spec?.nodeName
    if (!pod || !node || !this.host.owns(node)) return this.forget(key)
    let t = this.tracked.get(key)
    if (t && t.uid !== pod.metadata?.uid) {
      this.forget(key)
      t = undefined
    }
    // A stopped node does nothing: its pods keep whatever status they last had.
    if (!this.host.isRunning(node)) return
    const now = this.clock.now().getTime()
    const stage = stageOf(pod)
    if (!t) {
      t = { uid: String(pod.metadata?.uid), node, dueAt: this.resumeDue(pod, stage, now), ip: pod.status?.podIP }
      if (t.ip && stage?.kind !== 'finished') this.pool(node)?.reserve(t.ip)
      this.tracked.set(key, t)
    }
    if (pod.metadata?.deletionTimestamp) return this.terminate(key, pod, t, stage, now)
    if (stage?.kind === 'finished') {
      if (t.ip) this.pools.get(node)?.release(t.ip)
      t.ip = undefined
      return
    }
    if (!stage) {
      // Accept the pod at once: hostIP, startTime, containers waiting.
      if (!(await this.write(pod, { kind: 'accepted' }, t, now))) return
      t.dueAt = now + this.opts.startDelayMs
      return this.wakeAt(key, t, t.dueAt)
    }
    // The status manager owns a running pod's status: when someone else (the node controller,
    // while this node was away) marked it not Ready, the containers still run, so post Ready again.
    if (stage.kind === 'running' && !readyAsWritten(pod)) {
      if (!(await this.write(pod, stage, t, now, { keepStartedAt: true }))) return
    }
    if (now < t.dueAt) return this.wakeAt(key, t, t.dueAt)
    const next = this.nextStage(pod, stage)
    if (!next) return
    if (next.kind !== 'finished' && !t.ip) {
      const pool = this.pool(node)
      if (!pool) return // no podCIDR yet: the node update that brings it resyncs this pod
      t.ip = pool.allocate()
    }
    if (!(await this.write(pod, next, t, now))) return
    t.dueAt = now + (next.kind === 'running' ? this.runTimeOf(pod) : this.opts.startDelayMs)
    if (this.nextStage(pod, next)) this.wakeAt(key, t, t.dueAt)
  }

  private nextStage(pod: PodObj, stage: PodStage): PodStage | undefined {
    const inits = pod.spec?.initContainers?.length ?? 0
    switch (stage.kind) {
      case 'accepted':
        return inits > 0 ? { kind: 'init', done: 0 } : { kind: 'running' }
      case 'init':
        return stage.done + 1 < inits ? { kind: 'init', done: stage.done + 1 } : { kind: 'running' }
      case 'running': {
        if ((pod.spec?.restartPolicy ?? 'Always') === 'Always') return undefined
        const code = Number(pod.metadata?.annotations?.[EXIT_CODE_ANNOTATION] ?? 0)
        return { kind: 'finished', exitCode: Number.isInteger(code) ? code : 1 }
      }
      case 'finished':
        return undefined
    }
  }

  private runTimeOf(pod: PodObj): number {
    const text = pod.metadata?.annotations?.[RUN_TIME_ANNOTATION]
    if (!text) return this.opts.runTimeMs
    try {
      return parseDurationMs(text)
    } catch {
      return this.opts.runTimeMs
    }
  }

  /** When a pod found mid-life (after a restart) takes its next step. */
  private resumeDue(pod: PodObj, stage: PodStage | undefined, now: number): number {
    if (stage?.kind === 'running') {
      const started = pod.status?.containerStatuses?.[0]?.state?.running?.startedAt
      return (started ? Date.parse(started) : now) + this.runTimeOf(pod)
    }
    return stage ? now + this.opts.startDelayMs : now
  }

  private async terminate(key: string, pod: PodObj, t: Tracked, stage: PodStage | undefined, now: number): Promise<void> {
    if (t.shutdownAt === undefined) {
      // Finished or never started pods have nothing to shut down.
      const grace = (pod.metadata?.deletionGracePeriodSeconds ?? 30) * 1000
      t.shutdownAt = now + (stage?.kind === 'finished' || !stage ? 0 : Math.min(this.opts.shutdownMs, grace))
    }
    if (now < t.shutdownAt) return this.wakeAt(key, t, t.shutdownAt)
    try {
      await this.clientFor(String(pod.spec?.nodeName)).delete(RES.pods, pod.metadata?.namespace, String(pod.metadata?.name), {
        gracePeriodSeconds: 0,
        preconditions: { uid: pod.metadata?.uid },
      })
    } catch (e) {
      const code = apiCode(e)
      if (code !== 404 && code !== 409) throw e
    }
  }

  /** Posts the status of `stage`; false when the pod changed or vanished meanwhile. */
  private async write(pod: PodObj, stage: PodStage, t: Tracked, now: number, o: { keepStartedAt?: boolean } = {}): Promise<boolean> {
    const node = String(pod.spec?.nodeName)
    const startedAt = pod.status?.containerStatuses?.find((c) => c.state?.running)?.state?.running?.startedAt
    const status = podStatusFor(
      pod,
      stage,
      {
        hostIP: this.host.hostIP(node),
        podIP: stage.kind === 'accepted' ? undefined : t.ip,
        startTime: pod.status?.startTime ?? rfc3339(new Date(now)),
        startedAt: stage.kind === 'running' && !o.keepStartedAt ? undefined : startedAt,
      },
      new Date(now),
    )
    try {
      const out = await this.clientFor(node).update<PodObj>(RES.pods, { ...pod, status }, { subresource: 'status' })
      // Kept as the informer keeps pods: without managedFields.
      if (out.metadata?.managedFields) {
        const meta = { ...out.metadata }
        delete meta.managedFields
        out.metadata = meta
      }
      t.written = out
      return true
    } catch (e) {
      // 409: our cache was stale — the newer pod arrives through the informer and resyncs.
      // 404: the pod is gone. Either way this step is not taken now.
      const code = apiCode(e)
      if (code === 409 || code === 404) return false
      throw e
    }
  }
}
