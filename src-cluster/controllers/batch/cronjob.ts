// The CronJob controller: creates a Job for the most recent unmet schedule time (cron syntax
// from api/cron.ts, in spec.timeZone), honours startingDeadlineSeconds, concurrencyPolicy
// (Allow / Forbid / Replace), suspend and the history limits, and keeps status.active,
// lastScheduleTime and lastSuccessfulTime. Jobs are named "<cronjob>-<minutes since epoch>" so
// a schedule time is never run twice. Waits for the next schedule time on the controller Clock.
import type { CronJobStatus } from 'kubernetes-types/batch/v1'
import type { ObjectReference } from 'kubernetes-types/core/v1'
import { parseCron, type CronSchedule } from '../../api/cron'
import { isAlreadyExists, isNotFound, type EventRecorder, type Informer } from '../../client'
import { ControllerQueue, type Controller, type ControllerContext } from '../framework'
import { isJobFinished } from './job'
import { checkTimeZone, formatInZone, nextInZone } from './timezone'
import { controllerRef, rfc3339, withKind } from './util'
import type { CronJobObj, JobObj } from '../../kit/objects'
import { RES } from '../../kit/resources'
import { keyOf, splitKey } from '../../kit/keys'

export const SCHEDULED_TIMESTAMP = 'batch.kubernetes.io/cronjob-scheduled-timestamp'
/** Beyond this many missed start times upstream gives up counting and asks for a deadline. */
const MAX_MISSED = 100

/** Upstream's Job name: the scheduled time in minutes since the epoch. */
export function jobNameFor(cronJobName: string, scheduled: Date): string {
  return `${cronJobName}-${Math.floor(scheduled.getTime() / 60_000)}`
}

/** The latest schedule time in (earliest, now], and how many there were. */
export function mostRecentScheduleTime(cronSchedule: CronSchedule, earliest: Date, now: Date, tz: string | undefined): { time?: Date; missed: number } {
  let t = nextInZone(cronSchedule, earliest, tz)
  let last: Date | undefined
  let missed = 0
  while (t && t.getTime() <= now.getTime() && missed < 100_000) {
    last = t
    missed++
    t = nextInZone(cronSchedule, t, tz)
  }
  return { time: last, missed }
}

function rfc1123z(d: Date): string {
  // "Mon, 02 Jan 2006 15:04:05 +0000", the format upstream's MissSchedule event uses.
  return d.toUTCString().replace('GMT', '+0000')
}

/** What a sync writes back to status: the running Jobs and the last schedule and success times. */
interface CronState {
  active: ObjectReference[]
  lastSuccessfulTime: string | undefined
  lastScheduleTime: string | undefined
}

export class CronJobController implements Controller {
  readonly name = 'cronjob-controller'
  private q!: ControllerQueue
  private cronJobs!: Informer<CronJobObj>
  private jobs!: Informer<JobObj>
  private recorder!: EventRecorder
  private ctx!: ControllerContext

  async start(ctx: ControllerContext): Promise<void> {
    this.ctx = ctx
    this.q = new ControllerQueue(ctx, this.name)
    this.recorder = ctx.recorder('cronjob-controller')
    this.cronJobs = ctx.informers.for<CronJobObj>(RES.cronjobs)
    this.jobs = ctx.informers.for<JobObj>(RES.jobs)
    this.cronJobs.addHandler({
      add: (c) => this.q.add(keyOf(c)),
      update: (_o, n) => this.q.add(keyOf(n)),
      delete: (c) => this.q.cancel(keyOf(c)),
    })
    const byJob = (j: JobObj): void => {
      const ref = controllerRef(j)
      if (ref?.kind === 'CronJob') this.q.add(`${j.metadata!.namespace}/${ref.name}`)
    }
    this.jobs.addHandler({ add: byJob, update: (_o, n) => byJob(n), delete: byJob })
    await Promise.all([this.cronJobs.start(), this.jobs.start()])
    this.q.run(ctx.options.concurrentSyncs, (k) => this.sync(k))
  }

  stop(): void {
    this.q?.stop()
  }

  private event(cj: CronJobObj, type: 'Normal' | 'Warning', reason: string, message: string): void {
    this.recorder.event(withKind(cj, 'batch/v1', 'CronJob'), type, reason, message)
  }

  private async deleteJob(cj: CronJobObj, job: JobObj): Promise<void> {
    try {
      await this.ctx.client.delete(RES.jobs, job.metadata!.namespace, job.metadata!.name!, { propagationPolicy: 'Background' })
      this.event(cj, 'Normal', 'SuccessfulDelete', `Deleted job ${job.metadata!.name}`)
    } catch (e) {
      if (!isNotFound(e)) {
        this.event(cj, 'Warning', 'FailedDelete', `Deleted job: ${(e as Error).message}`)
        throw e
      }
    }
  }

  async sync(key: string): Promise<void> {
    const cj = this.cronJobs.get(key)
    if (!cj) return
    const { namespace } = splitKey(key)
    const now = this.ctx.clock.now()
    const uid = cj.metadata!.uid
    const children = this.jobs.byIndex('namespace', namespace!).filter((j) => controllerRef(j)?.uid === uid)
    const state = await this.activeState(cj, children)
    if (!cj.metadata?.deletionTimestamp) {
      await this.cleanupHistory(cj, children)
      await this.schedule(key, cj, children, state, now)
    }
    await this.writeStatus(cj, state)
  }

  /** Step 1: status.active in line with the Jobs that exist, and the last successful time. */
  private async activeState(cj: CronJobObj, children: JobObj[]): Promise<CronState> {
    const old = cj.status ?? {}
    let active: ObjectReference[] = [...(old.active ?? [])]
    let lastSuccessfulTime = old.lastSuccessfulTime
    for (const j of children) {
      const inActive = active.some((a) => a.uid === j.metadata!.uid)
      const finished = isJobFinished(j)
      if (finished) {
        if (inActive) {
          active = active.filter((a) => a.uid !== j.metadata!.uid)
          this.event(cj, 'Normal', 'SawCompletedJob', `Saw completed job: ${j.metadata!.name}, condition: ${finished}`)
        }
        if (finished === 'Complete' && j.status?.completionTime && (!lastSuccessfulTime || j.status.completionTime > lastSuccessfulTime))
          lastSuccessfulTime = j.status.completionTime
      } else if (!inActive && !j.metadata?.deletionTimestamp) {
        active.push(jobRef(j))
      }
    }
    for (const a of [...active]) {
      if (children.some((j) => j.metadata!.uid === a.uid)) continue
      // Not in the cache: ask the server before forgetting it (the cache may lag a create).
      const live = await this.ctx.client.get<JobObj>(RES.jobs, a.namespace, a.name!)
      if (!live || live.metadata?.uid !== a.uid) active = active.filter((x) => x.uid !== a.uid)
    }
    return { active, lastSuccessfulTime, lastScheduleTime: old.lastScheduleTime }
  }

  private async writeStatus(cj: CronJobObj, state: CronState): Promise<void> {
    const old = cj.status ?? {}
    const { active, lastScheduleTime, lastSuccessfulTime } = state
    const status: CronJobStatus = { ...old, active: active.length ? active : undefined, lastScheduleTime, lastSuccessfulTime }
    if (JSON.stringify(clean(status)) === JSON.stringify(clean(old))) return
    await this.ctx.client.update<CronJobObj>(RES.cronjobs, { ...withKind(cj, 'batch/v1', 'CronJob'), status }, { subresource: 'status' })
  }

  /** Step 2: start the Job of the most recent due time (per concurrencyPolicy), requeue for the next. */
  private async schedule(key: string, cj: CronJobObj, children: JobObj[], state: CronState, now: Date): Promise<void> {
    const spec = cj.spec!
    const tz = spec.timeZone ?? undefined
    const sched = this.parseSchedule(cj, tz)
    if (!sched) return
    const requeueNext = (): void => {
      const next = nextInZone(sched, now, tz)
      if (next) this.q.after(key, next.getTime() - now.getTime())
    }
    if (spec.suspend) return
    const scheduled = this.dueTime(cj, sched, state.lastScheduleTime, now, tz)
    const jobName = scheduled && jobNameFor(cj.metadata!.name!, scheduled)
    if (!scheduled || !jobName || children.some((j) => j.metadata!.name === jobName) || state.active.some((a) => a.name === jobName)) {
      requeueNext()
      return
    }
    if (spec.concurrencyPolicy === 'Forbid' && state.active.length > 0) {
      this.event(cj, 'Normal', 'JobAlreadyActive', 'Not starting job because prior execution is running and concurrency policy is Forbid')
      requeueNext()
      return
    }
    if (spec.concurrencyPolicy === 'Replace') {
      for (const a of state.active) {
        const j = children.find((c) => c.metadata!.uid === a.uid)
        if (j) await this.deleteJob(cj, j)
      }
      state.active = []
    }
    const job = this.jobFor(cj, jobName, scheduled, tz)
    try {
      const made = await this.ctx.client.create<JobObj>(RES.jobs, splitKey(key).namespace, job)
      this.event(cj, 'Normal', 'SuccessfulCreate', `Created job ${made.metadata!.name}`)
      state.active.push(jobRef(made))
    } catch (e) {
      if (!isAlreadyExists(e)) {
        this.event(cj, 'Warning', 'FailedCreate', `Error creating job: ${(e as Error).message}`)
        throw e
      }
    }
    state.lastScheduleTime = rfc3339(scheduled)
    requeueNext()
  }

  /** The schedule, or undefined (with a warning event) when its time zone or syntax is invalid. */
  private parseSchedule(cj: CronJobObj, tz: string | undefined): CronSchedule | undefined {
    const spec = cj.spec!
    try {
      if (tz) checkTimeZone(tz)
    } catch (e) {
      this.event(cj, 'Warning', 'UnknownTimeZone', `invalid timeZone: ${JSON.stringify(tz)}: ${(e as Error).message}`)
      return undefined
    }
    try {
      return parseCron(spec.schedule)
    } catch (e) {
      this.event(cj, 'Warning', 'UnparseableSchedule', `unparseable schedule: ${JSON.stringify(spec.schedule)} : ${(e as Error).message}`)
      return undefined
    }
  }

  /** The most recent schedule time not yet run, unless it is past startingDeadlineSeconds. */
  private dueTime(cj: CronJobObj, sched: CronSchedule, lastScheduleTime: string | undefined, now: Date, tz: string | undefined): Date | undefined {
    const spec = cj.spec!
    const created = Date.parse(String(cj.metadata!.creationTimestamp ?? rfc3339(now)))
    let earliest = lastScheduleTime ? Date.parse(lastScheduleTime) : created
    if (spec.startingDeadlineSeconds != null) earliest = Math.max(earliest, now.getTime() - spec.startingDeadlineSeconds * 1000)
    const { time: scheduled, missed } = mostRecentScheduleTime(sched, new Date(earliest), now, tz)
    if (missed > MAX_MISSED) {
      this.event(cj, 'Warning', 'TooManyMissedTimes', 'too many missed start times. Set or decrease .spec.startingDeadlineSeconds or check clock skew')
    }
    if (!scheduled) return undefined
    if (spec.startingDeadlineSeconds != null && scheduled.getTime() + spec.startingDeadlineSeconds * 1000 < now.getTime()) {
      this.event(cj, 'Warning', 'MissSchedule', `Missed scheduled time to start a job: ${rfc1123z(scheduled)}`)
      return undefined
    }
    return scheduled
  }

  private jobFor(cj: CronJobObj, name: string, scheduled: Date, tz: string | undefined): JobObj {
    const tpl = cj.spec!.jobTemplate
    return {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: {
        name,
        namespace: cj.metadata!.namespace,
        labels: tpl.metadata?.labels,
        annotations: { ...(tpl.metadata?.annotations ?? {}), [SCHEDULED_TIMESTAMP]: formatInZone(scheduled, tz) },
        ownerReferences: [
          { apiVersion: 'batch/v1', kind: 'CronJob', name: cj.metadata!.name!, uid: cj.metadata!.uid!, controller: true, blockOwnerDeletion: true },
        ],
      },
      spec: structuredClone(tpl.spec),
    }
  }

  /** Keep the newest successfulJobsHistoryLimit complete and failedJobsHistoryLimit failed Jobs. */
  private async cleanupHistory(cj: CronJobObj, children: JobObj[]): Promise<void> {
    const byAge = (a: JobObj, b: JobObj): number => startOf(a) - startOf(b)
    const doomed: JobObj[] = []
    const limits: ['Complete' | 'Failed', number | undefined][] = [
      ['Complete', cj.spec!.successfulJobsHistoryLimit ?? 3],
      ['Failed', cj.spec!.failedJobsHistoryLimit ?? 1],
    ]
    for (const [kind, limit] of limits) {
      if (limit == null) continue
      const done = children.filter((j) => isJobFinished(j) === kind && !j.metadata?.deletionTimestamp).sort(byAge)
      if (done.length > limit) doomed.push(...done.slice(0, done.length - limit))
    }
    for (const j of doomed) await this.deleteJob(cj, j)
  }
}

function startOf(j: JobObj): number {
  return Date.parse(j.status?.startTime ?? String(j.metadata?.creationTimestamp ?? '')) || 0
}

function jobRef(j: JobObj): ObjectReference {
  return {
    kind: 'Job',
    namespace: j.metadata!.namespace,
    name: j.metadata!.name,
    uid: j.metadata!.uid,
    apiVersion: 'batch/v1',
    resourceVersion: j.metadata!.resourceVersion,
  }
}

function clean(s: CronJobStatus): Record<string, unknown> {
  return {
    active: (s.active ?? []).map((a) => a.uid).sort(),
    lastScheduleTime: s.lastScheduleTime ?? null,
    lastSuccessfulTime: s.lastSuccessfulTime ?? null,
  }
}
