// The Job controller: runs pods until enough succeed (completions, parallelism, NonIndexed or
// Indexed), or the Job fails (backoffLimit, activeDeadlineSeconds, podFailurePolicy FailJob).
// Pods carry the job-tracking finalizer; a finished pod's UID goes to
// status.uncountedTerminatedPods first, then its finalizer is removed, then it moves into
// status.succeeded/failed — so no pod is counted twice or lost across restarts, as upstream.
// Terminal conditions follow 1.32: FailureTarget / SuccessCriteriaMet first, then Failed /
// Complete once no pod is left running.
import type { JobCondition, JobStatus } from 'kubernetes-types/batch/v1'
import type { JobObj as Job, PodObj as Pod } from '../../kit/objects'

import { isNotFound, type Informer } from '../../client'
import type { EventRecorder } from '../../client'
import { Expectations, ControllerQueue, type Controller, type ControllerContext } from '../framework'
import { completionIndexOf, hasTrackingFinalizer, podForJob, TRACKING_FINALIZER } from './job-pods'
import { matchPodFailurePolicy } from './pod-failure-policy'
import { controllerRef, findCondition, formatIndexes, isPodReady, parseIndexes, rfc3339, setCondition, withKind } from './util'
import { RES } from '../../kit/resources'
import { keyOf, splitKey } from '../../kit/keys'

/** Back-off before re-creating failed pods: 10 s doubling to 6 min (upstream's defaults). */
export const BACKOFF_BASE_MS = 10_000
export const BACKOFF_MAX_MS = 6 * 60_000

export function isJobFinished(job: Job): 'Complete' | 'Failed' | undefined {
  for (const c of job.status?.conditions ?? []) {
    if ((c.type === 'Complete' || c.type === 'Failed') && c.status === 'True') return c.type
  }
  return undefined
}

export function backoffDelayMs(failuresAfterLastSuccess: number): number {
  if (failuresAfterLastSuccess <= 0) return 0
  return Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** (failuresAfterLastSuccess - 1))
}

function jobKeyOfPod(pod: Pod): string | undefined {
  const ref = controllerRef(pod)
  return ref?.kind === 'Job' && pod.metadata?.namespace ? `${pod.metadata.namespace}/${ref.name}` : undefined
}

interface BackoffRecord {
  failuresAfterLastSuccess: number
  lastFailureAt: number
}

export class JobController implements Controller {
  readonly name = 'job-controller'
  private ctx!: ControllerContext
  private jobs!: Informer<Job>
  private pods!: Informer<Pod>
  private q!: ControllerQueue
  private expectations!: Expectations
  private recorder!: EventRecorder
  private readonly backoff = new Map<string, BackoffRecord>()

  async start(ctx: ControllerContext): Promise<void> {
    this.ctx = ctx
    this.q = new ControllerQueue(ctx, this.name)
    this.expectations = new Expectations(ctx.clock)
    this.recorder = ctx.recorder('job-controller')
    this.jobs = ctx.informers.for<Job>(RES.jobs)
    this.pods = ctx.informers.for<Pod>(RES.pods)
    this.jobs.addHandler({
      add: (j) => this.q.add(keyOf(j)),
      update: (_o, n) => this.q.add(keyOf(n)),
      delete: (j) => {
        this.expectations.delete(keyOf(j))
        this.q.add(keyOf(j))
      },
    })
    this.pods.addHandler({
      add: (p) => {
        const k = jobKeyOfPod(p)
        if (!k) return
        this.expectations.observeCreate(k)
        this.q.add(k)
      },
      update: (o, n) => {
        const k = jobKeyOfPod(n)
        if (!k) return
        if (n.metadata?.deletionTimestamp && !o.metadata?.deletionTimestamp) this.expectations.observeDelete(k, keyOf(n))
        this.q.add(k)
      },
      delete: (p) => {
        const k = jobKeyOfPod(p)
        if (!k) return
        this.expectations.observeDelete(k, keyOf(p))
        this.q.add(k)
      },
    })
    await Promise.all([this.jobs.start(), this.pods.start()])
    this.q.run(ctx.options.concurrentSyncs, (k) => this.sync(k))
  }

  stop(): void {
    this.q?.stop()
  }

  private podsOf(namespace: string): Pod[] {
    return this.pods.byIndex('namespace', namespace)
  }

  /** Remove the tracking finalizer (JSON patch guarded by a test, so other finalizers survive). */
  private async release(pod: Pod): Promise<void> {
    const fins = pod.metadata?.finalizers ?? []
    const i = fins.indexOf(TRACKING_FINALIZER)
    if (i < 0) return
    try {
      await this.ctx.client.patch(
        RES.pods,
        pod.metadata!.namespace,
        pod.metadata!.name!,
        [
          { op: 'test', path: `/metadata/finalizers/${i}`, value: TRACKING_FINALIZER },
          { op: 'remove', path: `/metadata/finalizers/${i}` },
        ],
        'json',
      )
    } catch (e) {
      if (isNotFound(e)) return
      throw e
    }
  }

  private async deletePod(key: string, pod: Pod): Promise<void> {
    try {
      await this.ctx.client.delete(RES.pods, pod.metadata!.namespace, pod.metadata!.name!, { propagationPolicy: 'Background' })
    } catch (e) {
      this.expectations.deletionFailed(key, keyOf(pod))
      if (!isNotFound(e)) throw e
    }
  }

  private async writeStatus(job: Job, status: JobStatus): Promise<Job> {
    return this.ctx.client.update<Job>(RES.jobs, { ...withKind(job, 'batch/v1', 'Job'), status } as Job, { subresource: 'status' })
  }

  async sync(key: string): Promise<void> {
    const { namespace, name } = splitKey(key)
    const job = this.jobs.get(key)
    const all = this.podsOf(namespace!)
    if (!job) {
      // Job gone: pods it left behind must not be held by our finalizer.
      this.backoff.delete(key)
      this.q.cancel(key)
      await Promise.all(
        all.filter((p) => hasTrackingFinalizer(p) && controllerRef(p)?.kind === 'Job' && controllerRef(p)?.name === name).map((p) => this.release(p)),
      )
      return
    }
    const uid = job.metadata!.uid
    // Pods of an older Job with the same name are orphans too.
    const orphans = all.filter(
      (p) => hasTrackingFinalizer(p) && controllerRef(p)?.kind === 'Job' && controllerRef(p)?.name === name && controllerRef(p)?.uid !== uid,
    )
    await Promise.all(orphans.map((p) => this.release(p)))
    const pods = all.filter((p) => controllerRef(p)?.uid === uid)
    if (job.metadata?.deletionTimestamp || isJobFinished(job)) {
      await Promise.all(pods.filter(hasTrackingFinalizer).map((p) => this.release(p)))
      return
    }
    await this.syncJob(key, job, pods)
  }

  /** One pass over a running Job: tally its pods, set targets, decide, act, write the counted status. */
  private async syncJob(key: string, job: Job, pods: Pod[]): Promise<void> {
    const now = this.ctx.clock.now()
    const tally = tallyPods(job, pods)
    this.noteBackoff(key, tally.newFailures, tally.newSuccesses, now)
    const targets = terminalTargets(job, tally, now)
    const decision = this.decide(key, job, tally, targets, now)
    const expectationsOk = this.expectations.satisfied(key)
    const { current, created } = await this.act(key, job, tally, decision, expectationsOk, now)
    const status = countedStatus(job, tally, targets, decision, created, now)
    if (!sameStatus(current.status, status)) await this.writeStatus(current, status)
    const jobForEvents = withKind(job, 'batch/v1', 'Job')
    for (const [type, reason, message] of decision.events) this.recorder.event(jobForEvents, type, reason, message)
    if (decision.finishedNow) this.backoff.delete(key)
  }

  /** Finish (Failed / Complete once nothing runs), suspend, resume, or plan pods to add and remove. */
  private decide(key: string, job: Job, tally: PodTally, targets: Targets, now: Date): Decision {
    const spec = job.spec!
    const { active, terminating, toRelease } = tally
    const { failureTarget, successTarget } = targets
    let conditions = targets.conditions
    const events: JobEvent[] = []
    let finishedNow = false
    let completionTime = job.status?.completionTime
    const finishing = !!failureTarget || successTarget
    let toDelete: Pod[] = []
    let toCreate: (number | undefined)[] = []

    if (finishing) {
      toDelete = active
      const stillRunning = active.length + terminating.filter((p) => !toRelease.includes(p)).length
      if (stillRunning === 0) {
        finishedNow = true
        if (failureTarget) {
          conditions = setCondition(conditions, { type: 'Failed', status: 'True', reason: failureTarget.reason, message: failureTarget.message }, now, [
            'lastProbeTime',
          ])
          events.push(['Warning', failureTarget.reason ?? 'Failed', failureTarget.message ?? 'Job failed'])
        } else {
          conditions = setCondition(
            conditions,
            { type: 'Complete', status: 'True', reason: 'CompletionsReached', message: 'Reached expected number of succeeded pods' },
            now,
            ['lastProbeTime'],
          )
          completionTime = rfc3339(now)
          events.push(['Normal', 'Completed', 'Job completed'])
        }
      }
    } else if (spec.suspend) {
      toDelete = active
      const prev = findCondition(conditions, 'Suspended')
      if (prev?.status !== 'True') events.push(['Normal', 'Suspended', 'Job suspended'])
      conditions = setCondition(conditions, { type: 'Suspended', status: 'True', reason: 'JobSuspended', message: 'Job suspended' }, now, ['lastProbeTime'])
    } else {
      const prev = findCondition(conditions, 'Suspended')
      if (prev?.status === 'True') {
        events.push(['Normal', 'Resumed', 'Job resumed'])
        conditions = setCondition(conditions, { type: 'Suspended', status: 'False', reason: 'JobResumed', message: 'Job resumed' }, now, ['lastProbeTime'])
      }
      const indexed = spec.completionMode === 'Indexed'
      const plan = this.plan(job, active, targets.succeeded, tally.completedIdx, spec.parallelism ?? 1, spec.completions ?? undefined, indexed)
      toDelete = plan.remove
      toCreate = plan.create
      if (spec.activeDeadlineSeconds != null && targets.startTime) {
        this.q.after(key, Date.parse(targets.startTime) + spec.activeDeadlineSeconds * 1000 - now.getTime())
      }
    }
    return { conditions, events, finishedNow, completionTime, finishing, toDelete, toCreate }
  }

  /** The writes, in the order that never loses a pod: uncounted status, finalizers, deletes, creates. */
  private async act(
    key: string,
    job: Job,
    tally: PodTally,
    decision: Decision,
    expectationsOk: boolean,
    now: Date,
  ): Promise<{ current: Job; created: number }> {
    const old = job.status ?? {}
    const { uncSucceeded, uncFailed } = tally
    const { toDelete, toCreate, events } = decision
    // 1. Record newly finished pods as uncounted before touching their finalizers.
    const uncountedChanged =
      uncSucceeded.size !== (old.uncountedTerminatedPods?.succeeded?.length ?? 0) || uncFailed.size !== (old.uncountedTerminatedPods?.failed?.length ?? 0)
    let current = job
    if (uncountedChanged) {
      current = await this.writeStatus(current, { ...old, uncountedTerminatedPods: { succeeded: [...uncSucceeded], failed: [...uncFailed] } })
    }
    // 2. Release finalizers.
    await Promise.all(tally.toRelease.map((p) => this.release(p)))
    // 3. Pods to delete / create.
    if (toDelete.length && expectationsOk) {
      this.expectations.expect(
        key,
        0,
        toDelete.map((p) => keyOf(p)),
      )
      await Promise.all(toDelete.map((p) => this.deletePod(key, p)))
    }
    let created = 0
    if (toCreate.length && expectationsOk && !decision.finishing) {
      const wait = this.backoffRemaining(key, now)
      if (wait > 0) {
        this.q.after(key, wait)
      } else {
        this.expectations.expect(key, toCreate.length)
        const results = await Promise.allSettled(toCreate.map((ix) => this.ctx.client.create<Pod>(RES.pods, job.metadata!.namespace, podForJob(job, ix))))
        for (const r of results) {
          if (r.status === 'fulfilled') {
            created++
            events.push(['Normal', 'SuccessfulCreate', `Created pod: ${r.value.metadata?.name}`])
          } else {
            this.expectations.creationFailed(key)
            events.push(['Warning', 'FailedCreate', `Error creating: ${(r.reason as Error)?.message ?? String(r.reason)}`])
          }
        }
      }
    }
    return { current, created }
  }

  /** Which pods to add (indexes for Indexed jobs) and which to remove to reach the wanted count. */
  private plan(
    job: Job,
    active: Pod[],
    succeeded: number,
    completedIdx: Set<number>,
    parallelism: number,
    completions: number | undefined,
    indexed: boolean,
  ): { create: (number | undefined)[]; remove: Pod[] } {
    if (indexed && completions !== undefined) {
      const seen = new Set<number>()
      const remove: Pod[] = []
      const keep: Pod[] = []
      for (const p of active) {
        const ix = completionIndexOf(p)
        // Out of range, duplicated or already completed indexes are surplus.
        if (ix === undefined || ix >= completions || seen.has(ix) || completedIdx.has(ix)) remove.push(p)
        else {
          seen.add(ix)
          keep.push(p)
        }
      }
      const want = Math.min(parallelism, completions - completedIdx.size)
      if (keep.length > want) remove.push(...surplus(keep, keep.length - want))
      const create: number[] = []
      for (let ix = 0; ix < completions && keep.length + create.length < want; ix++) {
        if (!completedIdx.has(ix) && !seen.has(ix)) create.push(ix)
      }
      return { create, remove }
    }
    const want = completions !== undefined ? Math.max(0, Math.min(parallelism, completions - succeeded)) : succeeded > 0 ? 0 : parallelism
    if (active.length > want) return { create: [], remove: completions === undefined && succeeded > 0 ? [] : surplus(active, active.length - want) }
    return { create: Array.from({ length: want - active.length }, () => undefined), remove: [] }
  }

  private noteBackoff(key: string, failures: number, successes: number, now: Date): void {
    if (successes > 0) this.backoff.delete(key)
    if (failures > 0) {
      const rec = this.backoff.get(key) ?? { failuresAfterLastSuccess: 0, lastFailureAt: 0 }
      rec.failuresAfterLastSuccess += failures
      rec.lastFailureAt = now.getTime()
      this.backoff.set(key, rec)
    }
  }

  private backoffRemaining(key: string, now: Date): number {
    const rec = this.backoff.get(key)
    if (!rec) return 0
    return rec.lastFailureAt + backoffDelayMs(rec.failuresAfterLastSuccess) - now.getTime()
  }
}

/** Pods to remove first: not ready before ready, newest before oldest (upstream's ranking, simplified). */
function surplus(pods: Pod[], n: number): Pod[] {
  return [...pods]
    .sort(
      (a, b) =>
        Number(isPodReady(a)) - Number(isPodReady(b)) || String(b.metadata?.creationTimestamp ?? '').localeCompare(String(a.metadata?.creationTimestamp ?? '')),
    )
    .slice(0, n)
}

type JobEvent = [type: 'Normal' | 'Warning', reason: string, message: string]

/** A Job's pods sorted by what they mean for it; newly finished tracked pods join the uncounted sets. */
interface PodTally {
  readonly active: Pod[]
  readonly terminating: Pod[]
  readonly toRelease: Pod[]
  newFailures: number
  newSuccesses: number
  failJob: string | undefined
  readonly uncSucceeded: Set<string>
  readonly uncFailed: Set<string>
  readonly completedIdx: Set<number>
}

/** Counts, startTime and the FailureTarget / SuccessCriteriaMet conditions the pods lead to. */
interface Targets {
  readonly conditions: JobCondition[]
  readonly failureTarget: JobCondition | undefined
  readonly successTarget: boolean
  readonly succeeded: number
  readonly failedCount: number
  readonly startTime: string | undefined
}

/** What this pass does: conditions and events to record, pods to delete and create. */
interface Decision {
  readonly conditions: JobCondition[]
  readonly events: JobEvent[]
  readonly finishedNow: boolean
  readonly completionTime: string | undefined
  readonly finishing: boolean
  readonly toDelete: Pod[]
  readonly toCreate: (number | undefined)[]
}

function tallyPods(job: Job, pods: Pod[]): PodTally {
  const spec = job.spec!
  const old = job.status ?? {}
  const indexed = spec.completionMode === 'Indexed'
  const completions = spec.completions ?? undefined
  const onlyReplaceFailed = spec.podReplacementPolicy === 'Failed' || !!spec.podFailurePolicy
  const t: PodTally = {
    active: [],
    terminating: [],
    toRelease: [],
    newFailures: 0,
    newSuccesses: 0,
    failJob: undefined,
    uncSucceeded: new Set(old.uncountedTerminatedPods?.succeeded ?? []),
    uncFailed: new Set(old.uncountedTerminatedPods?.failed ?? []),
    completedIdx: parseIndexes(old.completedIndexes),
  }
  for (const p of pods) {
    const phase = p.status?.phase
    const deleting = !!p.metadata?.deletionTimestamp
    const tracked = hasTrackingFinalizer(p)
    const puid = p.metadata!.uid!
    if (phase === 'Succeeded') {
      if (tracked) {
        if (!t.uncSucceeded.has(puid)) t.newSuccesses++
        t.uncSucceeded.add(puid)
        t.toRelease.push(p)
      }
      const ix = completionIndexOf(p)
      if (indexed && ix !== undefined && completions !== undefined && ix < completions && (tracked || t.uncSucceeded.has(puid))) t.completedIdx.add(ix)
      continue
    }
    const failed = phase === 'Failed' || (!onlyReplaceFailed && deleting)
    if (deleting && phase !== 'Failed') t.terminating.push(p)
    if (failed) {
      if (tracked) {
        if (!t.uncFailed.has(puid)) {
          const m = matchPodFailurePolicy(job, p)
          if (m?.action === 'Ignore') {
            t.toRelease.push(p)
            continue
          }
          if (m?.action === 'FailJob' && !t.failJob) t.failJob = m.message
          t.newFailures++
        }
        t.uncFailed.add(puid)
        t.toRelease.push(p)
      }
      continue
    }
    if (!deleting) t.active.push(p)
  }
  return t
}

function terminalTargets(job: Job, tally: PodTally, now: Date): Targets {
  const spec = job.spec!
  const old = job.status ?? {}
  const completions = spec.completions ?? undefined
  const succeeded = (old.succeeded ?? 0) + tally.uncSucceeded.size
  const failedCount = (old.failed ?? 0) + tally.uncFailed.size
  let conditions = (old.conditions ?? []) as JobCondition[]
  const startTime = spec.suspend ? old.startTime : (old.startTime ?? rfc3339(now))
  let failureTarget = findCondition(conditions, 'FailureTarget')
  if (failureTarget?.status !== 'True') failureTarget = undefined
  let successTarget = findCondition(conditions, 'SuccessCriteriaMet')?.status === 'True'

  if (!failureTarget && !successTarget) {
    let reason: string | undefined
    let message = ''
    if (tally.failJob) [reason, message] = ['PodFailurePolicy', tally.failJob]
    else if (failedCount > (spec.backoffLimit ?? 6)) [reason, message] = ['BackoffLimitExceeded', 'Job has reached the specified backoff limit']
    else if (spec.activeDeadlineSeconds != null && startTime && !spec.suspend && now.getTime() >= Date.parse(startTime) + spec.activeDeadlineSeconds * 1000) {
      ;[reason, message] = ['DeadlineExceeded', 'Job was active longer than specified deadline']
    }
    if (reason) {
      conditions = setCondition(conditions, { type: 'FailureTarget', status: 'True', reason, message }, now, ['lastProbeTime'])
      failureTarget = findCondition(conditions, 'FailureTarget')
    }
  }
  if (!failureTarget && !successTarget) {
    const done =
      spec.completionMode === 'Indexed'
        ? completions !== undefined && tally.completedIdx.size >= completions
        : completions !== undefined
          ? succeeded >= completions
          : succeeded > 0 && tally.active.length === 0
    if (done) {
      conditions = setCondition(
        conditions,
        { type: 'SuccessCriteriaMet', status: 'True', reason: 'CompletionsReached', message: 'Reached expected number of succeeded pods' },
        now,
        ['lastProbeTime'],
      )
      successTarget = true
    }
  }
  return { conditions, failureTarget, successTarget, succeeded, failedCount, startTime }
}

/** The status once this pass's pods are counted (uncounted pods move into succeeded/failed). */
function countedStatus(job: Job, tally: PodTally, targets: Targets, decision: Decision, created: number, now: Date): JobStatus {
  const spec = job.spec!
  const old = job.status ?? {}
  const { active, terminating } = tally
  const { toDelete, finishing, conditions } = decision
  // A resumed Job restarts its deadline clock, as upstream resets startTime.
  const resumed = !spec.suspend && findCondition(old.conditions ?? [], 'Suspended')?.status === 'True'
  const status: JobStatus = {
    ...old,
    active: Math.max(0, active.length - (finishing || spec.suspend ? active.length : toDelete.length)) + created,
    ready: active.filter(isPodReady).length,
    terminating: terminating.length + (toDelete.length || 0),
    succeeded: targets.succeeded,
    failed: targets.failedCount,
    uncountedTerminatedPods: { succeeded: [], failed: [] },
    conditions: conditions.length ? conditions : undefined,
    startTime: resumed ? rfc3339(now) : targets.startTime,
    completionTime: decision.completionTime,
  }
  if (spec.completionMode === 'Indexed') status.completedIndexes = formatIndexes(tally.completedIdx)
  if (decision.finishedNow) status.ready = 0
  return status
}

function sameStatus(a: JobStatus | undefined, b: JobStatus): boolean {
  return JSON.stringify(normalize(a ?? {})) === JSON.stringify(normalize(b))
}

function normalize(s: JobStatus): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const k of Object.keys(s).sort()) {
    const v = (s as Record<string, unknown>)[k]
    if (v === undefined || v === 0) continue
    out[k] = v
  }
  const u = s.uncountedTerminatedPods
  if (u && !u.succeeded?.length && !u.failed?.length) delete out.uncountedTerminatedPods
  return out
}
