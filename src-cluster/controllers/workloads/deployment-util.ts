// The arithmetic and bookkeeping of Deployments, as pure functions: surge and unavailability
// budgets, revision annotations, which ReplicaSet is "new", conditions, proportional scaling.
import type { DeploymentCondition } from 'kubernetes-types/apps/v1'
import type { PodTemplateSpec } from './types'
import { byCreation, computeHash, scaledValue, semanticEqual } from './util'
import type { DeploymentObj, ReplicaSetObj } from '../../kit/objects'
import { rfc3339 } from '../../kit/time'

export const HASH_LABEL = 'pod-template-hash'
export const REVISION = 'deployment.kubernetes.io/revision'
export const REVISION_HISTORY = 'deployment.kubernetes.io/revision-history'
export const DESIRED_REPLICAS = 'deployment.kubernetes.io/desired-replicas'
export const MAX_REPLICAS = 'deployment.kubernetes.io/max-replicas'
export const CHANGE_CAUSE = 'kubernetes.io/change-cause'
const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration'
const ROLLBACK_TO = 'deprecated.deployment.rollback.to'

/** Annotations that belong to the Deployment machinery and are not copied to ReplicaSets. */
const SKIP_COPY = new Set([LAST_APPLIED, REVISION, REVISION_HISTORY, DESIRED_REPLICAS, MAX_REPLICAS, ROLLBACK_TO])

/** progressDeadlineSeconds that means "no deadline" (math.MaxInt32). */
const NO_DEADLINE = 2147483647

export const Reasons = {
  NewRSCreated: 'NewReplicaSetCreated',
  FoundNewRS: 'FoundNewReplicaSet',
  RSUpdated: 'ReplicaSetUpdated',
  NewRSAvailable: 'NewReplicaSetAvailable',
  TimedOut: 'ProgressDeadlineExceeded',
  Paused: 'DeploymentPaused',
  Resumed: 'DeploymentResumed',
  MinimumReplicasAvailable: 'MinimumReplicasAvailable',
  MinimumReplicasUnavailable: 'MinimumReplicasUnavailable',
} as const

export type DeploymentStatus = NonNullable<DeploymentObj['status']>

export const replicasOf = (obj: { spec?: { replicas?: number } } | undefined): number => obj?.spec?.replicas ?? 0

export function isRollingUpdate(deployment: DeploymentObj): boolean {
  return (deployment.spec?.strategy?.type ?? 'RollingUpdate') === 'RollingUpdate'
}

/**
 * maxSurge and maxUnavailable as numbers: surge percentages round up, unavailability rounds
 * down, and both zero becomes one unavailable so a rollout can always move (upstream's
 * ResolveFenceposts).
 */
export function resolveFenceposts(deployment: DeploymentObj): { surge: number; unavailable: number } {
  const desired = replicasOf(deployment)
  const ru = deployment.spec?.strategy?.rollingUpdate
  const surge = scaledValue(ru?.maxSurge, desired, true, Math.ceil(desired * 0.25))
  let unavailable = scaledValue(ru?.maxUnavailable, desired, false, Math.floor(desired * 0.25))
  if (surge === 0 && unavailable === 0) unavailable = 1
  return { surge, unavailable }
}

export function maxSurge(deployment: DeploymentObj): number {
  return isRollingUpdate(deployment) ? resolveFenceposts(deployment).surge : 0
}

export function maxUnavailable(deployment: DeploymentObj): number {
  if (!isRollingUpdate(deployment) || replicasOf(deployment) === 0) return 0
  return Math.min(resolveFenceposts(deployment).unavailable, replicasOf(deployment))
}

/** The pod-template-hash of a Deployment's template. */
export function templateHash(template: PodTemplateSpec | undefined, collisionCount?: number): string {
  return computeHash(template ?? {}, collisionCount)
}

function withoutHash(t: PodTemplateSpec | undefined): PodTemplateSpec {
  const copy = structuredClone(t ?? {})
  if (copy.metadata?.labels) delete copy.metadata.labels[HASH_LABEL]
  return copy
}

/** Templates equal apart from the pod-template-hash label (upstream's EqualIgnoreHash). */
export function equalIgnoreHash(a: PodTemplateSpec | undefined, b: PodTemplateSpec | undefined): boolean {
  return semanticEqual(withoutHash(a), withoutHash(b))
}

/** The ReplicaSet running the Deployment's current template: the oldest such, if several. */
export function findNewReplicaSet(deployment: DeploymentObj, rsList: ReplicaSetObj[]): ReplicaSetObj | undefined {
  return [...rsList].sort(byCreation).find((rs) => equalIgnoreHash(rs.spec?.template, deployment.spec?.template))
}

export function revisionOf(obj: { metadata?: { annotations?: Record<string, string> } } | undefined): number {
  const v = obj?.metadata?.annotations?.[REVISION]
  const n = v === undefined ? 0 : Number(v)
  return Number.isFinite(n) ? n : 0
}

export function maxRevision(rsList: ReplicaSetObj[]): number {
  return rsList.reduce((m, rs) => Math.max(m, revisionOf(rs)), 0)
}

/** Copy the Deployment's own annotations onto the ReplicaSet; true when something changed. */
export function copyDeploymentAnnotations(deployment: DeploymentObj, rs: ReplicaSetObj): boolean {
  const ann = (rs.metadata!.annotations ??= {})
  let changed = false
  for (const [k, v] of Object.entries(deployment.metadata?.annotations ?? {})) {
    if (SKIP_COPY.has(k) || ann[k] === v) continue
    ann[k] = v
    changed = true
  }
  return changed
}

/**
 * Set the annotations of the new ReplicaSet: the Deployment's annotations, the revision (only
 * ever raised) and, for one about to be created, desired/max replicas. True when changed.
 */
export function setNewReplicaSetAnnotations(deployment: DeploymentObj, rs: ReplicaSetObj, newRevision: number, exists: boolean): boolean {
  let changed = copyDeploymentAnnotations(deployment, rs)
  const ann = (rs.metadata!.annotations ??= {})
  const old = ann[REVISION]
  if (old === undefined || Number(old) < newRevision) {
    if (old !== undefined) {
      // Remember the revisions this template had before (upstream's revision-history).
      const hist = ann[REVISION_HISTORY] ? ann[REVISION_HISTORY].split(',') : []
      hist.push(old)
      ann[REVISION_HISTORY] = hist.join(',')
    }
    ann[REVISION] = String(newRevision)
    changed = true
  }
  if (!exists) changed = setReplicasAnnotations(rs, replicasOf(deployment), replicasOf(deployment) + maxSurge(deployment)) || changed
  return changed
}

export function setReplicasAnnotations(rs: ReplicaSetObj, desired: number, max: number): boolean {
  const ann = (rs.metadata!.annotations ??= {})
  let changed = false
  if (ann[DESIRED_REPLICAS] !== String(desired)) {
    ann[DESIRED_REPLICAS] = String(desired)
    changed = true
  }
  if (ann[MAX_REPLICAS] !== String(max)) {
    ann[MAX_REPLICAS] = String(max)
    changed = true
  }
  return changed
}

export function replicasAnnotationsNeedUpdate(rs: ReplicaSetObj, desired: number, max: number): boolean {
  const ann = rs.metadata?.annotations ?? {}
  return ann[DESIRED_REPLICAS] !== String(desired) || ann[MAX_REPLICAS] !== String(max)
}

/** Size the new ReplicaSet may grow to now (upstream's NewRSNewReplicas). */
export function newRSNewReplicas(deployment: DeploymentObj, allRSs: ReplicaSetObj[], newRS: ReplicaSetObj): number {
  if (!isRollingUpdate(deployment)) return replicasOf(deployment)
  const current = allRSs.reduce((s, rs) => s + replicasOf(rs), 0)
  const maxTotal = replicasOf(deployment) + maxSurge(deployment)
  if (current >= maxTotal) return replicasOf(newRS)
  const scaleUp = Math.min(maxTotal - current, replicasOf(deployment) - replicasOf(newRS))
  return replicasOf(newRS) + scaleUp
}

export function activeReplicaSets(rsList: ReplicaSetObj[]): ReplicaSetObj[] {
  return rsList.filter((rs) => replicasOf(rs) > 0)
}

/** The single ReplicaSet with replicas, or the newest one when none has any; undefined if several have. */
export function findActiveOrLatest(newRS: ReplicaSetObj | undefined, oldRSs: ReplicaSetObj[]): ReplicaSetObj | undefined {
  if (!newRS && oldRSs.length === 0) return undefined
  const newestFirst = [...oldRSs].sort((a, b) => byCreation(b, a))
  const active = activeReplicaSets([...(newRS ? [newRS] : []), ...newestFirst])
  if (active.length === 0) return newRS ?? newestFirst[0]
  if (active.length === 1) return active[0]
  return undefined
}

export function isSaturated(deployment: DeploymentObj, rs: ReplicaSetObj | undefined): boolean {
  if (!rs) return false
  const desired = rs.metadata?.annotations?.[DESIRED_REPLICAS]
  return (
    desired === String(replicasOf(deployment)) && replicasOf(rs) === replicasOf(deployment) && (rs.status?.availableReplicas ?? 0) === replicasOf(deployment)
  )
}

/**
 * How many replicas `rs` should gain (or lose) when a Deployment is resized mid-rollout:
 * its share of the change in proportion to its size at the last known max-replicas.
 */
export function proportion(rs: ReplicaSetObj, deployment: DeploymentObj, toAdd: number, added: number): number {
  if (replicasOf(rs) === 0 || toAdd === 0 || toAdd === added) return 0
  let fraction: number
  if (replicasOf(deployment) === 0) fraction = -replicasOf(rs)
  else {
    const deploymentReplicas = replicasOf(deployment) + maxSurge(deployment)
    const annotated = Number(rs.metadata?.annotations?.[MAX_REPLICAS] ?? deployment.status?.replicas ?? 0)
    if (!annotated) fraction = 0
    else fraction = Math.round((replicasOf(rs) * deploymentReplicas) / annotated) - replicasOf(rs)
  }
  const allowed = toAdd - added
  return toAdd > 0 ? Math.min(fraction, allowed) : Math.max(fraction, allowed)
}

// ---------------------------------------------------------------------------------------------
// Conditions and status
// ---------------------------------------------------------------------------------------------

export function hasProgressDeadline(deployment: DeploymentObj): boolean {
  const s = deployment.spec?.progressDeadlineSeconds
  return s !== undefined && s !== NO_DEADLINE
}

export function getCondition(status: DeploymentStatus | undefined, type: string): DeploymentCondition | undefined {
  return status?.conditions?.find((c) => c.type === type)
}

function stamp(now: Date): string {
  return rfc3339(now)
}

export function newCondition(type: string, status: 'True' | 'False' | 'Unknown', reason: string, message: string, now: Date): DeploymentCondition {
  return { type, status, reason, message, lastUpdateTime: stamp(now), lastTransitionTime: stamp(now) }
}

/** Set a condition as upstream does: same status and reason is a no-op; same status keeps the transition time. */
export function setCondition(status: DeploymentStatus, condition: DeploymentCondition): void {
  const cur = getCondition(status, condition.type)
  if (cur && cur.status === condition.status && cur.reason === condition.reason) return
  if (cur && cur.status === condition.status) condition.lastTransitionTime = cur.lastTransitionTime
  status.conditions = [...(status.conditions ?? []).filter((x) => x.type !== condition.type), condition]
}

export function removeCondition(status: DeploymentStatus, type: string): void {
  status.conditions = (status.conditions ?? []).filter((x) => x.type !== type)
  if (status.conditions.length === 0) delete status.conditions
}

/** Counts and the Available condition from the ReplicaSets (upstream's calculateStatus). */
export function calculateStatus(allRSs: ReplicaSetObj[], newRS: ReplicaSetObj | undefined, deployment: DeploymentObj, now: Date): DeploymentStatus {
  const available = allRSs.reduce((s, rs) => s + (rs.status?.availableReplicas ?? 0), 0)
  const total = allRSs.reduce((s, rs) => s + (rs.status?.replicas ?? 0), 0)
  const wanted = allRSs.reduce((s, rs) => s + replicasOf(rs), 0)
  const status: DeploymentStatus = {
    observedGeneration: deployment.metadata?.generation,
    replicas: total,
    updatedReplicas: newRS?.status?.replicas ?? 0,
    readyReplicas: allRSs.reduce((s, rs) => s + (rs.status?.readyReplicas ?? 0), 0),
    availableReplicas: available,
    unavailableReplicas: Math.max(0, wanted - available),
  }
  if (deployment.status?.collisionCount !== undefined) status.collisionCount = deployment.status.collisionCount
  if (deployment.status?.conditions?.length) status.conditions = structuredClone(deployment.status.conditions)
  if (available >= replicasOf(deployment) - maxUnavailable(deployment)) {
    setCondition(status, newCondition('Available', 'True', Reasons.MinimumReplicasAvailable, 'Deployment has minimum availability.', now))
  } else {
    setCondition(status, newCondition('Available', 'False', Reasons.MinimumReplicasUnavailable, 'Deployment does not have minimum availability.', now))
  }
  return status
}

/** Every replica is updated and available and the latest spec was seen. */
export function deploymentComplete(deployment: DeploymentObj, status: DeploymentStatus): boolean {
  const want = replicasOf(deployment)
  return (
    (status.updatedReplicas ?? 0) === want &&
    (status.replicas ?? 0) === want &&
    (status.availableReplicas ?? 0) === want &&
    (status.observedGeneration ?? 0) >= (deployment.metadata?.generation ?? 0)
  )
}

/** The rollout moved since the last status: more updated, fewer old, more ready or available. */
export function deploymentProgressing(deployment: DeploymentObj, newStatus: DeploymentStatus): boolean {
  const old = deployment.status ?? {}
  const oldOld = (old.replicas ?? 0) - (old.updatedReplicas ?? 0)
  const newOld = (newStatus.replicas ?? 0) - (newStatus.updatedReplicas ?? 0)
  return (
    (newStatus.updatedReplicas ?? 0) > (old.updatedReplicas ?? 0) ||
    newOld < oldOld ||
    (newStatus.readyReplicas ?? 0) > (old.readyReplicas ?? 0) ||
    (newStatus.availableReplicas ?? 0) > (old.availableReplicas ?? 0)
  )
}

export function deploymentTimedOut(deployment: DeploymentObj, status: DeploymentStatus, now: Date): boolean {
  if (!hasProgressDeadline(deployment)) return false
  const c = getCondition(status, 'Progressing')
  if (!c || c.reason === Reasons.NewRSAvailable) return false
  if (c.reason === Reasons.TimedOut) return true
  const from = Date.parse(c.lastUpdateTime ?? c.lastTransitionTime ?? '')
  if (Number.isNaN(from)) return false
  return from + (deployment.spec?.progressDeadlineSeconds ?? 600) * 1000 < now.getTime()
}
