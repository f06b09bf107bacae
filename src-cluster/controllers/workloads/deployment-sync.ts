// One reconcile of one Deployment, as upstream's deployment controller does it: find or make the
// ReplicaSet of the current template, move replicas between ReplicaSets within the surge and
// unavailability budgets (RollingUpdate) or all at once (Recreate), scale proportionally when
// resized mid-rollout, clean up old history, and report status and conditions.
import type { EventRecorder } from '../../client/events'
import type { Client } from '../../client/types'
import type { ReconcileResult } from '../framework'
import * as du from './deployment-util'
import { byCreation, controllerRef, errorCode, isControlledBy, newControllerRef, semanticEqual } from './util'
import type { DeploymentObj, PodObj, ReplicaSetObj } from '../../kit/objects'
import { RES } from '../../kit/resources'

const { replicasOf, Reasons } = du

export interface DeploymentSyncDeps {
  readonly client: Client
  readonly recorder: EventRecorder
  readonly now: () => Date
  /** Pods of the Deployment's ReplicaSets (Recreate waits for old ones to be gone). */
  readonly podsOf: (rs: ReplicaSetObj) => PodObj[]
}

export class DeploymentSync {
  private d: DeploymentObj
  /** Every ReplicaSet this Deployment owns, kept current as this sync writes them. */
  private rsList: ReplicaSetObj[]

  constructor(
    private readonly deps: DeploymentSyncDeps,
    deployment: DeploymentObj,
    rsList: ReplicaSetObj[],
  ) {
    this.d = structuredClone(deployment)
    this.rsList = rsList
  }

  async run(): Promise<ReconcileResult> {
    const d = this.d
    if (d.metadata?.deletionTimestamp) return this.syncStatusOnly()
    await this.checkPausedConditions()
    if (d.spec?.paused) return this.syncScale()
    if (await this.isScalingEvent()) return this.syncScale()
    return d.spec?.strategy?.type === 'Recreate' ? this.rolloutRecreate() : this.rolloutRolling()
  }

  // -------------------------------------------------------------------------------------------
  // Finding and creating the new ReplicaSet
  // -------------------------------------------------------------------------------------------

  private oldOf(newRS: ReplicaSetObj | undefined): ReplicaSetObj[] {
    return this.rsList.filter((rs) => rs.metadata?.uid !== newRS?.metadata?.uid)
  }

  private replace(rs: ReplicaSetObj): ReplicaSetObj {
    this.rsList = this.rsList.map((x) => (x.metadata?.uid === rs.metadata?.uid ? rs : x))
    if (!this.rsList.some((x) => x.metadata?.uid === rs.metadata?.uid)) this.rsList.push(rs)
    return rs
  }

  private current(rs: ReplicaSetObj): ReplicaSetObj {
    return this.rsList.find((x) => x.metadata?.uid === rs.metadata?.uid) ?? rs
  }

  private async getAll(create: boolean): Promise<{ newRS: ReplicaSetObj | undefined; oldRSs: ReplicaSetObj[] }> {
    const existing = du.findNewReplicaSet(this.d, this.rsList)
    const newRS = await this.getNewReplicaSet(existing, create)
    return { newRS, oldRSs: this.oldOf(newRS) }
  }

  private async getNewReplicaSet(existing: ReplicaSetObj | undefined, create: boolean): Promise<ReplicaSetObj | undefined> {
    const d = this.d
    const newRevision = du.maxRevision(this.oldOf(existing)) + 1
    if (existing) {
      let rs = structuredClone(existing)
      const annotationsChanged = du.setNewReplicaSetAnnotations(d, rs, newRevision, true)
      const minReadyChanged = (rs.spec?.minReadySeconds ?? 0) !== (d.spec?.minReadySeconds ?? 0)
      if (annotationsChanged || minReadyChanged) {
        rs.spec!.minReadySeconds = d.spec?.minReadySeconds
        rs = this.replace(await this.deps.client.update<ReplicaSetObj>(RES.replicasets, rs))
      }
      let needsUpdate = this.setDeploymentRevision(rs.metadata?.annotations?.[du.REVISION])
      const status = (this.d.status ??= {})
      if (du.hasProgressDeadline(d) && !du.getCondition(status, 'Progressing')) {
        du.setCondition(status, du.newCondition('Progressing', 'True', Reasons.FoundNewRS, `Found new replica set "${rs.metadata?.name}"`, this.deps.now()))
        needsUpdate = true
      }
      if (needsUpdate) await this.writeDeployment()
      return rs
    }
    if (!create) return undefined

    const collisionCount = d.status?.collisionCount
    const hash = du.templateHash(d.spec?.template, collisionCount)
    const template = structuredClone(d.spec?.template ?? {})
    template.metadata ??= {}
    template.metadata.labels = { ...(template.metadata.labels ?? {}), [du.HASH_LABEL]: hash }
    const selector = structuredClone(d.spec?.selector ?? {})
    selector.matchLabels = { ...(selector.matchLabels ?? {}), [du.HASH_LABEL]: hash }
    const name = `${d.metadata?.name}-${hash}`
    const fresh = {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: {
        name,
        namespace: d.metadata?.namespace,
        labels: { ...template.metadata.labels },
        annotations: {},
        ownerReferences: [newControllerRef(d, 'apps/v1', 'Deployment')],
      },
      spec: { replicas: 0, minReadySeconds: d.spec?.minReadySeconds ?? 0, selector, template },
    } as ReplicaSetObj
    fresh.spec!.replicas = du.newRSNewReplicas(d, [...this.rsList, fresh], fresh)
    du.setNewReplicaSetAnnotations(d, fresh, newRevision, false)

    let created: ReplicaSetObj
    try {
      created = await this.deps.client.create<ReplicaSetObj>(RES.replicasets, d.metadata?.namespace, fresh)
    } catch (e) {
      if (errorCode(e) !== 409) throw e
      // A ReplicaSet of that name exists. Ours with this template (a stale cache): use it.
      const other = await this.deps.client.get<ReplicaSetObj>(RES.replicasets, d.metadata?.namespace, name)
      if (other && isControlledBy(other, d) && du.equalIgnoreHash(other.spec?.template, d.spec?.template)) return this.replace(other)
      // A real hash collision: count it so the next hash differs, then retry.
      const status = (this.d.status ??= {})
      status.collisionCount = (status.collisionCount ?? 0) + 1
      await this.writeDeployment()
      throw new Error(`replica set ${name} already exists with another template: hash collision, retrying with collisionCount ${status.collisionCount}`)
    }
    this.replace(created)
    const n = replicasOf(created)
    if (n > 0) this.deps.recorder.event(this.d, 'Normal', 'ScalingReplicaSet', `Scaled up replica set ${name} from 0 to ${n}`)
    this.setDeploymentRevision(String(newRevision))
    if (du.hasProgressDeadline(d)) {
      du.setCondition(
        (this.d.status ??= {}),
        du.newCondition('Progressing', 'True', Reasons.NewRSCreated, `Created new replica set "${name}"`, this.deps.now()),
      )
    }
    await this.writeDeployment()
    return created
  }

  private setDeploymentRevision(revision: string | undefined): boolean {
    if (revision === undefined) return false
    const ann = (this.d.metadata!.annotations ??= {})
    if (ann[du.REVISION] === revision) return false
    ann[du.REVISION] = revision
    return true
  }

  /** Write the Deployment's status (and annotations, which the status subresource accepts). */
  private async writeDeployment(): Promise<void> {
    this.d = await this.deps.client.update<DeploymentObj>(RES.deployments, this.d, { subresource: 'status' })
  }

  // -------------------------------------------------------------------------------------------
  // Scaling
  // -------------------------------------------------------------------------------------------

  private async scaleTo(rs: ReplicaSetObj, newScale: number): Promise<boolean> {
    rs = this.current(rs)
    const old = replicasOf(rs)
    const d = this.d
    const max = replicasOf(d) + du.maxSurge(d)
    const sizeChanged = old !== newScale
    if (!sizeChanged && !du.replicasAnnotationsNeedUpdate(rs, replicasOf(d), max)) return false
    const copy = structuredClone(rs)
    copy.spec!.replicas = newScale
    du.setReplicasAnnotations(copy, replicasOf(d), max)
    this.replace(await this.deps.client.update<ReplicaSetObj>(RES.replicasets, copy))
    if (sizeChanged) {
      const op = newScale > old ? 'up' : 'down'
      this.deps.recorder.event(d, 'Normal', 'ScalingReplicaSet', `Scaled ${op} replica set ${rs.metadata?.name} from ${old} to ${newScale}`)
    }
    return sizeChanged
  }

  private async isScalingEvent(): Promise<boolean> {
    const { newRS, oldRSs } = await this.getAll(false)
    const all = [...(newRS ? [newRS] : []), ...oldRSs]
    return du.activeReplicaSets(all).some((rs) => {
      const desired = rs.metadata?.annotations?.[du.DESIRED_REPLICAS]
      return desired !== undefined && desired !== String(replicasOf(this.d))
    })
  }

  /** Resize without rolling (paused, or spec.replicas changed): upstream's sync(). */
  private async syncScale(): Promise<ReconcileResult> {
    const { newRS, oldRSs } = await this.getAll(false)
    await this.scale(newRS, oldRSs)
    if (this.d.spec?.paused) await this.cleanup(this.oldOf(newRS))
    const fresh = newRS ? this.current(newRS) : undefined
    return this.syncDeploymentStatus(fresh)
  }

  private async scale(newRS: ReplicaSetObj | undefined, oldRSs: ReplicaSetObj[]): Promise<void> {
    const d = this.d
    const target = du.findActiveOrLatest(newRS, oldRSs)
    if (target) {
      if (replicasOf(target) !== replicasOf(d)) await this.scaleTo(target, replicasOf(d))
      return
    }
    if (du.isSaturated(d, newRS)) {
      for (const old of du.activeReplicaSets(oldRSs)) await this.scaleTo(old, 0)
      return
    }
    if (!du.isRollingUpdate(d)) return
    const all = du.activeReplicaSets([...(newRS ? [newRS] : []), ...oldRSs])
    const total = all.reduce((s, rs) => s + replicasOf(rs), 0)
    const allowed = replicasOf(d) > 0 ? replicasOf(d) + du.maxSurge(d) : 0
    const toAdd = allowed - total
    // Largest first; among equals the newer gains first and the older loses first.
    all.sort((a, b) => replicasOf(b) - replicasOf(a) || (toAdd > 0 ? byCreation(b, a) : byCreation(a, b)))
    const sizes = new Map<ReplicaSetObj, number>()
    let added = 0
    for (const rs of all) {
      const p = toAdd !== 0 ? du.proportion(rs, d, toAdd, added) : 0
      sizes.set(rs, replicasOf(rs) + p)
      added += p
    }
    for (const [i, rs] of all.entries()) {
      let size = sizes.get(rs)!
      if (i === 0 && toAdd !== 0) size = Math.max(0, size + toAdd - added)
      await this.scaleTo(rs, size)
    }
  }

  // -------------------------------------------------------------------------------------------
  // Strategies
  // -------------------------------------------------------------------------------------------

  private async rolloutRolling(): Promise<ReconcileResult> {
    const { newRS } = await this.getAll(true)
    const rs = newRS!
    if (await this.reconcileNewReplicaSet(rs)) return this.syncRolloutStatus(rs)
    if (await this.reconcileOldReplicaSets(rs)) return this.syncRolloutStatus(rs)
    if (du.deploymentComplete(this.d, this.d.status ?? {})) await this.cleanup(this.oldOf(rs))
    return this.syncRolloutStatus(rs)
  }

  private async reconcileNewReplicaSet(newRS: ReplicaSetObj): Promise<boolean> {
    const d = this.d
    newRS = this.current(newRS)
    if (replicasOf(newRS) === replicasOf(d)) return false
    if (replicasOf(newRS) > replicasOf(d)) return this.scaleTo(newRS, replicasOf(d))
    return this.scaleTo(newRS, du.newRSNewReplicas(d, this.rsList, newRS))
  }

  private async reconcileOldReplicaSets(newRS: ReplicaSetObj): Promise<boolean> {
    const d = this.d
    newRS = this.current(newRS)
    const old = () => du.activeReplicaSets(this.oldOf(newRS))
    const oldCount = old().reduce((s, rs) => s + replicasOf(rs), 0)
    if (oldCount === 0) return false
    const allCount = this.rsList.reduce((s, rs) => s + replicasOf(rs), 0)
    const minAvailable = replicasOf(d) - du.maxUnavailable(d)
    const newUnavailable = replicasOf(newRS) - (newRS.status?.availableReplicas ?? 0)
    const maxScaledDown = allCount - minAvailable - newUnavailable
    if (maxScaledDown <= 0) return false

    // First drop old pods that are not available anyway: that costs no availability.
    let cleaned = 0
    for (const rs of [...old()].sort(byCreation)) {
      if (cleaned >= maxScaledDown) break
      const unhealthy = replicasOf(rs) - (rs.status?.availableReplicas ?? 0)
      if (unhealthy <= 0) continue
      const n = Math.min(maxScaledDown - cleaned, unhealthy)
      await this.scaleTo(rs, replicasOf(rs) - n)
      cleaned += n
    }

    // Then scale down old ReplicaSets as far as availability allows.
    const available = this.rsList.reduce((s, rs) => s + (rs.status?.availableReplicas ?? 0), 0)
    let scaled = 0
    if (available > minAvailable) {
      const budget = available - minAvailable
      for (const rs of [...old()].sort(byCreation)) {
        if (scaled >= budget) break
        const cur = replicasOf(this.current(rs))
        if (cur === 0) continue
        const n = Math.min(cur, budget - scaled)
        await this.scaleTo(rs, cur - n)
        scaled += n
      }
    }
    return cleaned + scaled > 0
  }

  private async rolloutRecreate(): Promise<ReconcileResult> {
    let { newRS, oldRSs } = await this.getAll(false)
    let scaledDown = false
    for (const rs of du.activeReplicaSets(oldRSs)) scaledDown = (await this.scaleTo(rs, 0)) || scaledDown
    if (scaledDown) return this.syncRolloutStatus(newRS)
    if (this.oldPodsRunning(oldRSs.map((rs) => this.current(rs)))) return this.syncRolloutStatus(newRS)
    if (!newRS) ({ newRS, oldRSs } = await this.getAll(true))
    await this.scaleTo(newRS!, replicasOf(this.d))
    if (du.deploymentComplete(this.d, this.d.status ?? {})) await this.cleanup(this.oldOf(newRS))
    return this.syncRolloutStatus(newRS)
  }

  /** Whether any pod of an old ReplicaSet still exists and has not finished. */
  private oldPodsRunning(oldRSs: ReplicaSetObj[]): boolean {
    if (oldRSs.some((rs) => (rs.status?.replicas ?? 0) > 0)) return true
    return oldRSs.some((rs) => this.deps.podsOf(rs).some((p) => p.status?.phase !== 'Failed' && p.status?.phase !== 'Succeeded'))
  }

  /** Delete old ReplicaSets beyond revisionHistoryLimit, oldest revision first, only scaled-down ones. */
  private async cleanup(oldRSs: ReplicaSetObj[]): Promise<void> {
    const limit = this.d.spec?.revisionHistoryLimit
    if (limit === undefined || limit === null) return
    const cleanable = oldRSs.map((rs) => this.current(rs)).filter((rs) => !rs.metadata?.deletionTimestamp)
    const diff = cleanable.length - limit
    if (diff <= 0) return
    cleanable.sort((a, b) => du.revisionOf(a) - du.revisionOf(b) || byCreation(a, b))
    for (const rs of cleanable.slice(0, diff)) {
      if ((rs.status?.replicas ?? 0) !== 0 || replicasOf(rs) !== 0) continue
      if ((rs.metadata?.generation ?? 0) > (rs.status?.observedGeneration ?? 0)) continue
      await this.deps.client
        .delete(RES.replicasets, rs.metadata?.namespace, String(rs.metadata?.name), { preconditions: { uid: rs.metadata?.uid } })
        .catch((e: unknown) => {
          if (errorCode(e) !== 404 && errorCode(e) !== 409) throw e
        })
      this.rsList = this.rsList.filter((x) => x.metadata?.uid !== rs.metadata?.uid)
    }
  }

  // -------------------------------------------------------------------------------------------
  // Status
  // -------------------------------------------------------------------------------------------

  private async checkPausedConditions(): Promise<void> {
    const d = this.d
    if (!du.hasProgressDeadline(d)) return
    const cond = du.getCondition(d.status, 'Progressing')
    if (cond?.reason === Reasons.TimedOut) return
    const pausedShown = cond?.reason === Reasons.Paused
    const status = (d.status ??= {})
    if (d.spec?.paused && !pausedShown) {
      du.setCondition(status, du.newCondition('Progressing', 'Unknown', Reasons.Paused, 'Deployment is paused', this.deps.now()))
    } else if (!d.spec?.paused && pausedShown) {
      du.setCondition(status, du.newCondition('Progressing', 'Unknown', Reasons.Resumed, 'Deployment is resumed', this.deps.now()))
    } else return
    await this.writeDeployment()
  }

  private async syncStatusOnly(): Promise<ReconcileResult> {
    const { newRS } = await this.getAll(false)
    return this.syncDeploymentStatus(newRS)
  }

  private async syncDeploymentStatus(newRS: ReplicaSetObj | undefined): Promise<ReconcileResult> {
    const status = du.calculateStatus(this.rsList, newRS ? this.current(newRS) : undefined, this.d, this.deps.now())
    if (semanticEqual(this.d.status, status)) return
    this.d = await this.deps.client.update<DeploymentObj>(RES.deployments, { ...this.d, status }, { subresource: 'status' })
  }

  private async syncRolloutStatus(newRS: ReplicaSetObj | undefined): Promise<ReconcileResult> {
    const d = this.d
    const now = this.deps.now()
    const rs = newRS ? this.current(newRS) : undefined
    const status = du.calculateStatus(this.rsList, rs, d, now)
    if (!du.hasProgressDeadline(d)) du.removeCondition(status, 'Progressing')
    const cur = du.getCondition(d.status, 'Progressing')
    const complete = status.replicas === status.updatedReplicas && cur?.reason === Reasons.NewRSAvailable
    if (du.hasProgressDeadline(d) && !complete) {
      const rsName = rs?.metadata?.name
      if (du.deploymentComplete(d, status)) {
        const msg = rsName ? `ReplicaSet "${rsName}" has successfully progressed.` : 'Deployment has successfully progressed.'
        du.setCondition(status, du.newCondition('Progressing', 'True', Reasons.NewRSAvailable, msg, now))
      } else if (du.deploymentProgressing(d, status)) {
        const msg = rsName ? `ReplicaSet "${rsName}" is progressing.` : 'Deployment is progressing.'
        const c = du.newCondition('Progressing', 'True', Reasons.RSUpdated, msg, now)
        if (cur?.status === 'True') c.lastTransitionTime = cur.lastTransitionTime
        du.removeCondition(status, 'Progressing')
        du.setCondition(status, c)
      } else if (du.deploymentTimedOut(d, status, now)) {
        const msg = rsName ? `ReplicaSet "${rsName}" has timed out progressing.` : `Deployment "${d.metadata?.name}" has timed out progressing.`
        du.setCondition(status, du.newCondition('Progressing', 'False', Reasons.TimedOut, msg, now))
      }
    }
    // A ReplicaSet that cannot create pods makes the Deployment report ReplicaFailure too.
    const failure = rs?.status?.conditions?.find((c) => c.type === 'ReplicaFailure' && c.status === 'True')
    if (failure) du.setCondition(status, du.newCondition('ReplicaFailure', 'True', failure.reason ?? 'FailedCreate', failure.message ?? '', now))
    else du.removeCondition(status, 'ReplicaFailure')

    if (semanticEqual(d.status, status)) return this.requeueStuck(status)
    this.d = await this.deps.client.update<DeploymentObj>(RES.deployments, { ...d, status }, { subresource: 'status' })
    return this.requeueStuck(status)
  }

  /** When a rollout is in flight, look again when its progress deadline would pass. */
  private requeueStuck(status: du.DeploymentStatus): ReconcileResult {
    const d = this.d
    const c = du.getCondition(status, 'Progressing')
    if (!du.hasProgressDeadline(d) || !c || c.status !== 'True' || c.reason === Reasons.NewRSAvailable) return
    if (du.deploymentComplete(d, status)) return
    const from = Date.parse(c.lastUpdateTime ?? '')
    if (Number.isNaN(from)) return
    const after = from + (d.spec?.progressDeadlineSeconds ?? 600) * 1000 - this.deps.now().getTime()
    return { requeueAfterMs: Math.max(0, after) + 1 }
  }
}

/** ReplicaSets controlled by `deployment` among `rsList` (no adoption; see the controller for that). */
export function ownedBy(deployment: DeploymentObj, rsList: ReplicaSetObj[]): ReplicaSetObj[] {
  return rsList.filter((rs) => controllerRef(rs)?.uid === deployment.metadata?.uid)
}
