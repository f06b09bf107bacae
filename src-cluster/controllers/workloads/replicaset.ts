// The ReplicaSet controller: keeps spec.replicas active pods matching the selector, adopting
// orphans and releasing strays, creating from the template and deleting the least valuable
// pods first, and reporting replicas / fullyLabeled / ready / available in status. The same
// code runs core/v1 ReplicationControllers (upstream's replication manager is the ReplicaSet
// controller over converted objects): only the resource, owner kind and selector shape differ.
import type { KubeObject } from '../../api/object'
import { labelSelectorFromObject, matchLabels, type LabelSelector } from '../../api/selectors'
import type { Informer } from '../../client/informer'
import { type ResourceRef } from '../../client/types'
import { Expectations, type ControllerContext, type ReconcileResult } from '../framework'
import { QueueController, resolveControllerRef } from './base'
import { claimObjects } from './claim'
import { podFromTemplate, PodControl, slowStartBatch } from './pod-control'
import {
  controllerRef,
  errorMessage,
  isPodActive,
  isPodAvailable,
  isPodReady,
  msUntilAvailable,
  newControllerRef,
  podReadyCondition,
  labelsEqual,
} from './util'
import type { PodObj, ReplicaSetObj } from '../../kit/objects'
import { RES } from '../../kit/resources'
import { keyOf } from '../../kit/keys'
import { rfc3339 } from '../../kit/time'

/** upstream's burstReplicas: at most this many creations or deletions per sync. */
export const BURST_REPLICAS = 500

/** What differs between ReplicaSets and ReplicationControllers. */
export interface ReplicaSetFlavor {
  /** Controller name (logs, --controllers). */
  readonly name: string
  readonly res: ResourceRef
  readonly apiVersion: string
  readonly kind: string
  /** Event source component, as upstream's. */
  readonly component: string
  /** The pods it selects; throws on an invalid selector. */
  selector(obj: ReplicaSetObj): LabelSelector
}

export const REPLICA_SET: ReplicaSetFlavor = {
  name: 'replicaset',
  res: RES.replicasets,
  apiVersion: 'apps/v1',
  kind: 'ReplicaSet',
  component: 'replicaset-controller',
  selector: (rs) => labelSelectorFromObject(rs.spec?.selector),
}

/** core/v1 ReplicationController: an equality-only selector map (defaulted from the template labels). */
export const REPLICATION_CONTROLLER: ReplicaSetFlavor = {
  name: 'replicationcontroller',
  res: RES.replicationcontrollers,
  apiVersion: 'v1',
  kind: 'ReplicationController',
  component: 'replication-controller',
  selector: (rc) => labelSelectorFromObject({ matchLabels: (rc.spec?.selector ?? {}) as unknown as Record<string, string> }),
}

export class ReplicaSetController extends QueueController {
  readonly name: string
  private rsInf!: Informer<ReplicaSetObj>
  private podInf!: Informer<PodObj>
  private expectations!: Expectations
  private pods!: PodControl

  constructor(private readonly flavor: ReplicaSetFlavor = REPLICA_SET) {
    super()
    this.name = flavor.name
  }

  protected setup(ctx: ControllerContext): Informer<KubeObject>[] {
    this.rsInf = ctx.informers.for<ReplicaSetObj>(this.flavor.res)
    this.podInf = ctx.informers.for<PodObj>(RES.pods)
    this.expectations = new Expectations(ctx.clock)
    this.pods = new PodControl(ctx.client, ctx.recorder(this.flavor.component))
    this.rsInf.addHandler({
      add: (rs) => this.enqueue(rs),
      update: (_old, rs) => this.enqueue(rs),
      delete: (rs) => {
        this.expectations.delete(keyOf(rs))
        this.enqueue(rs)
      },
    })
    this.podInf.addHandler({
      add: (pod) => this.podAdded(pod),
      update: (old, cur) => this.podUpdated(old, cur),
      delete: (pod) => this.podDeleted(pod),
    })
    return [this.rsInf as unknown as Informer<KubeObject>, this.podInf as unknown as Informer<KubeObject>]
  }

  private ownerOf(pod: PodObj): ReplicaSetObj | undefined {
    return resolveControllerRef(this.rsInf, pod, this.flavor.kind)
  }

  /** ReplicaSets in the pod's namespace whose selector matches it (for orphans). */
  private matchingSets(pod: PodObj): ReplicaSetObj[] {
    return this.rsInf.byIndex('namespace', pod.metadata?.namespace ?? '').filter((rs) => {
      try {
        return matchLabels(this.flavor.selector(rs), pod.metadata?.labels)
      } catch {
        return false
      }
    })
  }

  private podAdded(pod: PodObj): void {
    if (pod.metadata?.deletionTimestamp) return this.podDeleted(pod)
    if (controllerRef(pod)) {
      const rs = this.ownerOf(pod)
      if (!rs) return
      this.expectations.observeCreate(keyOf(rs))
      this.enqueue(rs)
      return
    }
    for (const rs of this.matchingSets(pod)) this.enqueue(rs)
  }

  private podUpdated(old: PodObj, cur: PodObj): void {
    if (old.metadata?.resourceVersion === cur.metadata?.resourceVersion) return
    const labelsChanged = !labelsEqual(old.metadata?.labels, cur.metadata?.labels)
    if (cur.metadata?.deletionTimestamp) {
      // A graceful delete starts now; count it as observed so the replacement starts at once.
      this.podDeleted(cur)
      if (labelsChanged) this.podDeleted(old)
      return
    }
    const oldRef = controllerRef(old)
    const curRef = controllerRef(cur)
    if (oldRef && oldRef.uid !== curRef?.uid) {
      const prev = this.ownerOf(old)
      if (prev) this.enqueue(prev)
    }
    if (curRef) {
      const rs = this.ownerOf(cur)
      if (!rs) return
      this.enqueue(rs)
      // Becoming ready starts the minReadySeconds clock: look again when it runs out.
      const minReady = rs.spec?.minReadySeconds ?? 0
      if (minReady > 0 && !isPodReady(old) && isPodReady(cur)) this.enqueueAfter(rs, minReady * 1000 + 1)
      return
    }
    if (labelsChanged || oldRef) for (const rs of this.matchingSets(cur)) this.enqueue(rs)
  }

  private podDeleted(pod: PodObj): void {
    const rs = this.ownerOf(pod)
    if (!rs) return
    this.expectations.observeDelete(keyOf(rs), String(pod.metadata?.uid))
    this.enqueue(rs)
  }

  protected async sync(key: string): Promise<ReconcileResult> {
    const rs = this.rsInf.get(key)
    if (!rs) {
      this.expectations.delete(key)
      return
    }
    let selector: LabelSelector
    try {
      selector = this.flavor.selector(rs)
    } catch (e) {
      this.ctx.log(`${this.flavor.name}: ${key} has an invalid selector, skipping: ${errorMessage(e)}`)
      return
    }
    const needsSync = this.expectations.satisfied(key)
    const active = this.podInf.byIndex('namespace', rs.metadata?.namespace ?? '').filter(isPodActive)
    const pods = await claimObjects(this.ctx.client, RES.pods, { obj: rs, apiVersion: this.flavor.apiVersion, kind: this.flavor.kind, selector }, active)

    let manageError: { kind: 'FailedCreate' | 'FailedDelete'; message: string } | undefined
    if (needsSync && !rs.metadata?.deletionTimestamp) manageError = await this.manageReplicas(key, rs, pods)

    const status = calculateReplicaSetStatus(rs, pods, this.ctx.clock.now(), manageError)
    await this.writeStatus(this.flavor.res, rs, status)
    if (manageError) throw new Error(`${manageError.kind} for ${this.flavor.kind} ${key}: ${manageError.message}`)

    // Pods ready but not yet available: check again when minReadySeconds has passed.
    const minReady = rs.spec?.minReadySeconds ?? 0
    const waits = pods.map((p) => msUntilAvailable(p, minReady, this.ctx.clock.now())).filter((x): x is number => x !== undefined)
    if (waits.length) return { requeueAfterMs: Math.min(...waits) + 1 }
  }

  private async manageReplicas(
    key: string,
    rs: ReplicaSetObj,
    pods: PodObj[],
  ): Promise<{ kind: 'FailedCreate' | 'FailedDelete'; message: string } | undefined> {
    const want = rs.spec?.replicas ?? 1
    const diff = pods.length - want
    const ns = String(rs.metadata?.namespace)
    if (diff < 0) {
      const n = Math.min(-diff, BURST_REPLICAS)
      this.expectations.expect(key, n)
      const ref = newControllerRef(rs, this.flavor.apiVersion, this.flavor.kind)
      const { ok, error } = await slowStartBatch(n, 1, () =>
        this.pods.create(rs, podFromTemplate(rs.spec?.template, ns, ref, { generateName: `${rs.metadata?.name}-` })),
      )
      // Creations that never happened will never be observed.
      for (let i = ok; i < n; i++) this.expectations.creationFailed(key)
      if (error) return { kind: 'FailedCreate', message: errorMessage(error) }
      return
    }
    if (diff > 0) {
      const n = Math.min(diff, BURST_REPLICAS)
      const victims = podsToDelete(pods, this.relatedPods(rs), n)
      this.expectations.expect(
        key,
        0,
        victims.map((p) => String(p.metadata?.uid)),
      )
      const results = await Promise.allSettled(victims.map((p) => this.pods.delete(rs, p)))
      let firstError: unknown
      results.forEach((r, i) => {
        const uid = String(victims[i]!.metadata?.uid)
        if (r.status === 'rejected') {
          this.expectations.deletionFailed(key, uid)
          firstError ??= r.reason
        } else if (!r.value) this.expectations.deletionFailed(key, uid)
      })
      if (firstError) return { kind: 'FailedDelete', message: errorMessage(firstError) }
    }
    return
  }

  /** Active pods of this ReplicaSet and of its siblings (same owning Deployment): used to spread deletions. */
  private relatedPods(rs: ReplicaSetObj): PodObj[] {
    const owner = controllerRef(rs)
    const siblings = new Set<string>([String(rs.metadata?.uid)])
    if (owner) {
      for (const other of this.rsInf.byIndex('namespace', rs.metadata?.namespace ?? '')) {
        if (controllerRef(other)?.uid === owner.uid) siblings.add(String(other.metadata?.uid))
      }
    }
    return this.podInf.byIndex('namespace', rs.metadata?.namespace ?? '').filter((p) => {
      const ref = controllerRef(p)
      return !!ref && siblings.has(ref.uid) && isPodActive(p)
    })
  }
}

const PHASE_RANK: Record<string, number> = { Pending: 0, Unknown: 1, Running: 2 }

function maxRestarts(p: PodObj): number {
  return Math.max(0, ...(p.status?.containerStatuses ?? []).map((c) => c.restartCount ?? 0))
}

/**
 * The `count` pods to delete, least valuable first as upstream ranks them: unscheduled before
 * scheduled, pending before unknown before running, not ready before ready, pods on nodes
 * crowded with related pods first, ready for less time first, more restarts first, newer first.
 */
export function podsToDelete(pods: PodObj[], related: PodObj[], count: number): PodObj[] {
  if (count >= pods.length) return [...pods]
  const onNode = new Map<string, number>()
  for (const p of related) {
    const node = p.spec?.nodeName ?? ''
    onNode.set(node, (onNode.get(node) ?? 0) + 1)
  }
  const rank = (p: PodObj) => onNode.get(p.spec?.nodeName ?? '') ?? 0
  const readySince = (p: PodObj) => {
    const t = podReadyCondition(p)?.lastTransitionTime
    return t ? Date.parse(t) : 0
  }
  const created = (p: PodObj) => Date.parse(p.metadata?.creationTimestamp ?? '') || 0
  const sorted = [...pods].sort((a, b) => {
    const sa = a.spec?.nodeName ? 1 : 0
    const sb = b.spec?.nodeName ? 1 : 0
    if (sa !== sb) return sa - sb
    const pa = PHASE_RANK[a.status?.phase ?? 'Pending'] ?? 0
    const pb = PHASE_RANK[b.status?.phase ?? 'Pending'] ?? 0
    if (pa !== pb) return pa - pb
    const ra = isPodReady(a) ? 1 : 0
    const rb = isPodReady(b) ? 1 : 0
    if (ra !== rb) return ra - rb
    if (rank(a) !== rank(b)) return rank(b) - rank(a)
    if (ra && rb && readySince(a) !== readySince(b)) return readySince(b) - readySince(a)
    if (maxRestarts(a) !== maxRestarts(b)) return maxRestarts(b) - maxRestarts(a)
    return created(b) - created(a)
  })
  return sorted.slice(0, count)
}

export function calculateReplicaSetStatus(
  rs: ReplicaSetObj,
  pods: PodObj[],
  now: Date,
  manageError?: { kind: 'FailedCreate' | 'FailedDelete'; message: string },
): NonNullable<ReplicaSetObj['status']> {
  const templateLabels = rs.spec?.template?.metadata?.labels ?? {}
  const minReady = rs.spec?.minReadySeconds ?? 0
  let fullyLabeled = 0
  let ready = 0
  let available = 0
  for (const p of pods) {
    const labels = p.metadata?.labels ?? {}
    if (Object.entries(templateLabels).every(([k, v]) => labels[k] === v)) fullyLabeled++
    if (isPodReady(p)) {
      ready++
      if (isPodAvailable(p, minReady, now)) available++
    }
  }
  const old = rs.status ?? { replicas: 0 }
  let conditions = (old.conditions ?? []).filter((c) => c.type !== 'ReplicaFailure')
  const prevFailure = old.conditions?.find((c) => c.type === 'ReplicaFailure')
  if (manageError) {
    // As upstream's calculateStatus: a ReplicaFailure already reported stays as it is while
    // creates/deletes keep failing. Its message names the refused pod, a new generated name on
    // each try: replacing it wrote the status on every retry, and that write's watch event synced
    // the ReplicaSet again at once, past its back-off — a loop of refused creates and status
    // writes that, under load, also kept the Deployment controller's ReplicaSet updates failing
    // with 409s (its rollout unobserved for a minute).
    conditions = [
      ...conditions,
      prevFailure ?? { type: 'ReplicaFailure', status: 'True', reason: manageError.kind, message: manageError.message, lastTransitionTime: rfc3339(now) },
    ]
  }
  const status: NonNullable<ReplicaSetObj['status']> = {
    replicas: pods.length,
    fullyLabeledReplicas: fullyLabeled,
    readyReplicas: ready,
    availableReplicas: available,
    observedGeneration: rs.metadata?.generation,
  }
  if (conditions.length) status.conditions = conditions
  return status
}
