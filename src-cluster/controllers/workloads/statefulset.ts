// The StatefulSet controller: pods with stable names `<set>-<ordinal>` and hostnames, a PVC per
// volumeClaimTemplate per ordinal made before the pod, ordered (OrderedReady) or parallel
// creation and deletion, rolling updates from the highest ordinal down to the partition or
// OnDelete, ControllerRevisions as history, and status counts per revision.
import type { KubeObject } from '../../api/object'
import { isEverything, labelSelectorFromObject, matchLabels, type LabelSelector } from '../../api/selectors'
import type { EventRecorder } from '../../client/events'
import type { Informer } from '../../client/informer'
import type { ControllerContext, ReconcileResult } from '../framework'
import { QueueController, resolveControllerRef } from './base'
import { claimObjects } from './claim'
import { ensureCurrentRevision, templateOfRevision, truncateHistory } from './history'
import { podFromTemplate } from './pod-control'
import type { OwnerReference, PodTemplateSpec } from './types'
import { controllerRef, errorCode, errorMessage, isPodAvailable, isPodReady, isTerminal, isTerminating, msUntilAvailable, newControllerRef } from './util'
import type { PodObj, PVCObj, RevisionObj, StatefulSetObj } from '../../kit/objects'
import { RES } from '../../kit/resources'

const COMPONENT = 'statefulset-controller'
export const POD_NAME_LABEL = 'statefulset.kubernetes.io/pod-name'
export const POD_INDEX_LABEL = 'apps.kubernetes.io/pod-index'
const REVISION_LABEL = 'controller-revision-hash'

/** The ordinal of a pod named `<set>-<n>` belonging to `setName`, or -1. */
export function ordinalOf(setName: string, podName: string | undefined): number {
  const m = /^(.*)-(\d+)$/.exec(podName ?? '')
  return m && m[1] === setName ? Number(m[2]) : -1
}

export function claimName(template: string, setName: string, ordinal: number): string {
  return `${template}-${setName}-${ordinal}`
}

const runningAndReady = (p: PodObj) => p.status?.phase === 'Running' && isPodReady(p)

export class StatefulSetController extends QueueController {
  readonly name = 'statefulset'
  private setInf!: Informer<StatefulSetObj>
  private podInf!: Informer<PodObj>
  private revInf!: Informer<RevisionObj>
  private pvcInf!: Informer<PVCObj>

  protected setup(ctx: ControllerContext): Informer<KubeObject>[] {
    this.setInf = ctx.informers.for<StatefulSetObj>(RES.statefulsets)
    this.podInf = ctx.informers.for<PodObj>(RES.pods)
    this.revInf = ctx.informers.for<RevisionObj>(RES.controllerrevisions)
    this.pvcInf = ctx.informers.for<PVCObj>(RES.pvcs)
    this.setInf.addHandler({ add: (s) => this.enqueue(s), update: (_o, s) => this.enqueue(s), delete: (s) => this.enqueue(s) })
    this.podInf.addHandler({
      add: (p) => this.podEvent(p),
      update: (o, p) => {
        if (o.metadata?.resourceVersion === p.metadata?.resourceVersion) return
        const prev = resolveControllerRef(this.setInf, o, 'StatefulSet')
        if (prev && controllerRef(p)?.uid !== prev.metadata?.uid) this.enqueue(prev)
        this.podEvent(p)
      },
      delete: (p) => this.podEvent(p, true),
    })
    return [this.setInf, this.podInf, this.revInf, this.pvcInf] as unknown as Informer<KubeObject>[]
  }

  private podEvent(pod: PodObj, deleted = false): void {
    const set = resolveControllerRef(this.setInf, pod, 'StatefulSet')
    if (set) return this.enqueue(set)
    // A deleted pod of a set that no longer exists (deleted and made again under the same name)
    // frees its name: the new set may be waiting to create a pod with it.
    if (controllerRef(pod) && !deleted) return
    for (const s of this.setInf.byIndex('namespace', pod.metadata?.namespace ?? '')) {
      try {
        if (matchLabels(labelSelectorFromObject(s.spec?.selector), pod.metadata?.labels)) this.enqueue(s)
      } catch {
        // an invalid selector matches nothing
      }
    }
  }

  protected async sync(key: string): Promise<ReconcileResult> {
    const set = this.setInf.get(key)
    if (!set) return
    let selector: LabelSelector
    try {
      selector = labelSelectorFromObject(set.spec?.selector)
    } catch (e) {
      this.ctx.log(`statefulset: ${key} has an invalid selector, skipping: ${errorMessage(e)}`)
      return
    }
    if (isEverything(selector)) return
    const ns = set.metadata?.namespace ?? ''
    const setName = String(set.metadata?.name)
    const pods = await claimObjects(
      this.ctx.client,
      RES.pods,
      { obj: set, apiVersion: 'apps/v1', kind: 'StatefulSet', selector, isMember: (p) => ordinalOf(setName, p.metadata?.name) >= 0 },
      this.podInf.byIndex('namespace', ns),
    )
    const revs = this.revInf.byIndex('namespace', ns).filter((r) => controllerRef(r)?.uid === set.metadata?.uid)
    const { revision: updateRev, collided } = await ensureCurrentRevision(
      this.ctx.client,
      { obj: set, kind: 'StatefulSet', template: set.spec?.template, collisionCount: set.status?.collisionCount },
      revs,
    )
    if (collided || !updateRev) {
      await this.ctx.client.update(
        RES.statefulsets,
        { ...set, status: { ...(set.status ?? {}), collisionCount: (set.status?.collisionCount ?? 0) + 1 } },
        { subresource: 'status' },
      )
      throw new Error(`controller revision name for statefulset ${key} collided; retrying with a new collisionCount`)
    }
    const currentRev = revs.find((r) => r.metadata?.name === set.status?.currentRevision) ?? updateRev
    await new SetSync(this.ctx, this.ctx.recorder(COMPONENT), set, currentRev, updateRev, this.pvcInf).run(pods)

    const keep = new Set([String(currentRev.metadata?.name), String(updateRev.metadata?.name)])
    for (const p of pods) if (p.metadata?.labels?.[REVISION_LABEL]) keep.add(p.metadata.labels[REVISION_LABEL])
    await truncateHistory(this.ctx.client, revs, keep, set.spec?.revisionHistoryLimit ?? 10)

    const status = computeStatus(set, pods, currentRev, updateRev, this.ctx.clock.now())
    await this.writeStatus(RES.statefulsets, set, status)
    const waits = pods.map((p) => msUntilAvailable(p, set.spec?.minReadySeconds ?? 0, this.ctx.clock.now())).filter((x): x is number => x !== undefined)
    if (waits.length) return { requeueAfterMs: Math.min(...waits) + 1 }
  }
}

/** One pass of upstream's updateStatefulSet: at most one ordered step, or every parallel one. */
class SetSync {
  private readonly name: string
  private readonly ns: string

  constructor(
    private readonly ctx: ControllerContext,
    private readonly recorder: EventRecorder,
    private readonly set: StatefulSetObj,
    private readonly currentRev: RevisionObj,
    private readonly updateRev: RevisionObj,
    private readonly pvcInf: Informer<PVCObj>,
  ) {
    this.name = String(set.metadata?.name)
    this.ns = String(set.metadata?.namespace)
  }

  async run(pods: PodObj[]): Promise<void> {
    const set = this.set
    if (set.metadata?.deletionTimestamp) return
    const replicas = set.spec?.replicas ?? 1
    const monotonic = set.spec?.podManagementPolicy !== 'Parallel'
    const minReady = set.spec?.minReadySeconds ?? 0
    const now = this.ctx.clock.now()
    const healthy = (p: PodObj) => runningAndReady(p) && isPodAvailable(p, minReady, now)
    const slots: (PodObj | undefined)[] = Array.from({ length: replicas }, () => undefined)
    const condemned: PodObj[] = []
    for (const p of pods) {
      const ord = ordinalOf(this.name, p.metadata?.name)
      if (ord < replicas) slots[ord] = p
      else condemned.push(p)
    }
    condemned.sort((a, b) => ordinalOf(this.name, b.metadata?.name) - ordinalOf(this.name, a.metadata?.name))
    const firstUnhealthy = [...slots, ...condemned].find((p) => p && (!runningAndReady(p) || isTerminating(p)))

    for (let ord = 0; ord < replicas; ord++) {
      const pod = slots[ord]
      if (pod && isTerminal(pod) && !isTerminating(pod)) {
        // A finished pod is replaced under the same name once it is gone.
        await this.deletePod(pod)
        if (monotonic) return
        continue
      }
      if (!pod) {
        await this.createPod(ord)
        if (monotonic) return
        continue
      }
      if (isTerminating(pod)) {
        if (monotonic) return
        continue
      }
      if (!healthy(pod) && monotonic) return
      await this.fixIdentity(pod, ord)
    }

    for (const pod of condemned) {
      if (isTerminating(pod)) {
        if (monotonic) return
        continue
      }
      if (!runningAndReady(pod) && monotonic && pod !== firstUnhealthy) return
      await this.releaseClaimsOnScaleDown(pod)
      await this.deletePod(pod)
      if (monotonic) return
    }

    if (set.spec?.updateStrategy?.type === 'OnDelete') return
    const partition = set.spec?.updateStrategy?.rollingUpdate?.partition ?? 0
    for (let ord = replicas - 1; ord >= partition; ord--) {
      const pod = slots[ord]
      if (!pod) continue
      if (pod.metadata?.labels?.[REVISION_LABEL] !== this.updateRev.metadata?.name && !isTerminating(pod)) {
        await this.deletePod(pod)
        return
      }
      if (!healthy(pod)) return
    }
  }

  private revisionFor(ord: number): RevisionObj {
    const strategy = this.set.spec?.updateStrategy
    const partition = strategy?.rollingUpdate?.partition ?? 0
    return (strategy?.type ?? 'RollingUpdate') === 'RollingUpdate' && ord < partition ? this.currentRev : this.updateRev
  }

  private async createPod(ord: number): Promise<void> {
    const rev = this.revisionFor(ord)
    const template: PodTemplateSpec = templateOfRevision(rev)
    const podName = `${this.name}-${ord}`
    await this.createClaims(ord, podName)
    const pod = podFromTemplate(template, this.ns, newControllerRef(this.set, 'apps/v1', 'StatefulSet'), { name: podName })
    pod.metadata!.labels = {
      ...(pod.metadata!.labels ?? {}),
      [POD_NAME_LABEL]: podName,
      [POD_INDEX_LABEL]: String(ord),
      [REVISION_LABEL]: String(rev.metadata?.name),
    }
    const spec = pod.spec!
    spec.hostname = podName
    if (this.set.spec?.serviceName) spec.subdomain = this.set.spec.serviceName
    const volumes = (spec.volumes ?? []).filter((v) => !(this.set.spec?.volumeClaimTemplates ?? []).some((t) => t.metadata?.name === v.name))
    for (const t of this.set.spec?.volumeClaimTemplates ?? []) {
      volumes.push({ name: String(t.metadata?.name), persistentVolumeClaim: { claimName: claimName(String(t.metadata?.name), this.name, ord) } })
    }
    if (volumes.length) spec.volumes = volumes
    try {
      await this.ctx.client.create(RES.pods, this.ns, pod)
      this.recorder.event(this.set, 'Normal', 'SuccessfulCreate', `create Pod ${podName} in StatefulSet ${this.name} successful`)
    } catch (e) {
      if (errorCode(e) === 409) return // the informer has not caught up yet
      this.recorder.event(this.set, 'Warning', 'FailedCreate', `create Pod ${podName} in StatefulSet ${this.name} failed error: ${errorMessage(e)}`)
      throw e
    }
  }

  /** PVCs from volumeClaimTemplates for one ordinal; existing claims are kept as they are. */
  private async createClaims(ord: number, podName: string): Promise<void> {
    const whenDeleted = this.set.spec?.persistentVolumeClaimRetentionPolicy?.whenDeleted ?? 'Retain'
    for (const t of this.set.spec?.volumeClaimTemplates ?? []) {
      const name = claimName(String(t.metadata?.name), this.name, ord)
      if (this.pvcInf.get(`${this.ns}/${name}`)) continue
      const owners: OwnerReference[] = []
      if (whenDeleted === 'Delete')
        owners.push({ apiVersion: 'apps/v1', kind: 'StatefulSet', name: this.name, uid: String(this.set.metadata?.uid), blockOwnerDeletion: true })
      const claim = {
        apiVersion: 'v1',
        kind: 'PersistentVolumeClaim',
        metadata: {
          name,
          namespace: this.ns,
          labels: { ...(t.metadata?.labels ?? {}), ...(this.set.spec?.selector?.matchLabels ?? {}) },
          ...(t.metadata?.annotations ? { annotations: { ...t.metadata.annotations } } : {}),
          ...(owners.length ? { ownerReferences: owners } : {}),
        },
        spec: structuredClone(t.spec ?? {}),
      } as PVCObj
      try {
        await this.ctx.client.create(RES.pvcs, this.ns, claim)
        this.recorder.event(this.set, 'Normal', 'SuccessfulCreate', `create Claim ${name} Pod ${podName} in StatefulSet ${this.name} success`)
      } catch (e) {
        if (errorCode(e) === 409) continue
        this.recorder.event(
          this.set,
          'Warning',
          'FailedCreate',
          `create Claim ${name} for Pod ${podName} in StatefulSet ${this.name} failed error: ${errorMessage(e)}`,
        )
        throw e
      }
    }
  }

  /** whenScaled=Delete: the claims of a pod removed by scale-down become owned by that pod, so the garbage collector removes them with it. */
  private async releaseClaimsOnScaleDown(pod: PodObj): Promise<void> {
    if (this.set.spec?.persistentVolumeClaimRetentionPolicy?.whenScaled !== 'Delete') return
    const ord = ordinalOf(this.name, pod.metadata?.name)
    for (const t of this.set.spec?.volumeClaimTemplates ?? []) {
      const name = claimName(String(t.metadata?.name), this.name, ord)
      const ref = { apiVersion: 'v1', kind: 'Pod', name: String(pod.metadata?.name), uid: String(pod.metadata?.uid), blockOwnerDeletion: true }
      await this.ctx.client.patch(RES.pvcs, this.ns, name, { metadata: { ownerReferences: [ref] } }, 'strategic').catch((e: unknown) => {
        if (errorCode(e) !== 404) throw e
      })
    }
  }

  /** Restore the identity labels if someone removed them. */
  private async fixIdentity(pod: PodObj, ord: number): Promise<void> {
    const labels = pod.metadata?.labels ?? {}
    const podName = String(pod.metadata?.name)
    if (labels[POD_NAME_LABEL] === podName && labels[POD_INDEX_LABEL] === String(ord)) return
    await this.ctx.client.patch(RES.pods, this.ns, podName, { metadata: { labels: { [POD_NAME_LABEL]: podName, [POD_INDEX_LABEL]: String(ord) } } }, 'merge')
  }

  private async deletePod(pod: PodObj): Promise<void> {
    const podName = String(pod.metadata?.name)
    try {
      await this.ctx.client.delete(RES.pods, this.ns, podName, { preconditions: { uid: pod.metadata?.uid } })
      this.recorder.event(this.set, 'Normal', 'SuccessfulDelete', `delete Pod ${podName} in StatefulSet ${this.name} successful`)
    } catch (e) {
      if (errorCode(e) === 404 || errorCode(e) === 409) return
      this.recorder.event(this.set, 'Warning', 'FailedDelete', `delete Pod ${podName} in StatefulSet ${this.name} failed error: ${errorMessage(e)}`)
      throw e
    }
  }
}

export function computeStatus(
  set: StatefulSetObj,
  pods: PodObj[],
  currentRev: RevisionObj,
  updateRev: RevisionObj,
  now: Date,
): NonNullable<StatefulSetObj['status']> {
  const minReady = set.spec?.minReadySeconds ?? 0
  const cur = String(currentRev.metadata?.name)
  const upd = String(updateRev.metadata?.name)
  const status: NonNullable<StatefulSetObj['status']> = {
    observedGeneration: set.metadata?.generation,
    replicas: 0,
    readyReplicas: 0,
    currentReplicas: 0,
    updatedReplicas: 0,
    availableReplicas: 0,
    currentRevision: cur,
    updateRevision: upd,
    collisionCount: set.status?.collisionCount ?? 0,
  }
  for (const p of pods) {
    status.replicas!++
    if (runningAndReady(p)) {
      status.readyReplicas!++
      if (isPodAvailable(p, minReady, now)) status.availableReplicas!++
    }
    if (!isTerminating(p)) {
      const rev = p.metadata?.labels?.[REVISION_LABEL]
      if (rev === cur) status.currentReplicas!++
      if (rev === upd) status.updatedReplicas!++
    }
  }
  // A finished rolling update makes the update revision the current one.
  if (
    (set.spec?.updateStrategy?.type ?? 'RollingUpdate') === 'RollingUpdate' &&
    status.updatedReplicas === status.replicas &&
    status.readyReplicas === status.replicas
  ) {
    status.currentReplicas = status.updatedReplicas
    status.currentRevision = upd
  }
  if (set.status?.conditions) status.conditions = set.status.conditions
  return status
}
