// TTL-after-finished: deletes a finished Job (with its pods, propagationPolicy Background)
// ttlSecondsAfterFinished after it completed or failed. Waits on the controller Clock.
import { isNotFound, type Informer } from '../../client'
import { ControllerQueue, type Controller, type ControllerContext } from '../framework'
import { isJobFinished } from './job'

import type { JobObj } from '../../kit/objects'
import { RES } from '../../kit/resources'
import { keyOf } from '../../kit/keys'

/** When the Job finished: completionTime, else the Complete/Failed condition's transition time. */
export function finishTime(job: JobObj): number | undefined {
  const kind = isJobFinished(job)
  if (!kind) return undefined
  const cond = job.status?.conditions?.find((c) => c.type === kind && c.status === 'True')
  const t = (kind === 'Complete' ? job.status?.completionTime : undefined) ?? cond?.lastTransitionTime
  return t ? Date.parse(t) : undefined
}

export class TTLAfterFinishedController implements Controller {
  readonly name = 'ttl-after-finished-controller'
  private q!: ControllerQueue
  private jobs!: Informer<JobObj>
  private ctx!: ControllerContext

  async start(ctx: ControllerContext): Promise<void> {
    this.ctx = ctx
    this.q = new ControllerQueue(ctx, this.name)
    this.jobs = ctx.informers.for<JobObj>(RES.jobs)
    const enqueue = (j: JobObj): void => {
      if (j.spec?.ttlSecondsAfterFinished != null && isJobFinished(j)) this.q.add(keyOf(j))
    }
    this.jobs.addHandler({ add: enqueue, update: (_o, n) => enqueue(n) })
    await this.jobs.start()
    this.q.run(ctx.options.concurrentSyncs, (k) => this.sync(k))
  }

  stop(): void {
    this.q?.stop()
  }

  async sync(key: string): Promise<void> {
    const job = this.jobs.get(key)
    const ttl = job?.spec?.ttlSecondsAfterFinished
    if (!job || ttl == null || job.metadata?.deletionTimestamp) return
    const finished = finishTime(job)
    if (finished === undefined) return
    const wait = finished + ttl * 1000 - this.ctx.clock.now().getTime()
    if (wait > 0) {
      this.q.after(key, wait)
      return
    }
    // The resourceVersion precondition makes sure the TTL still applies to what is deleted.
    try {
      await this.ctx.client.delete(RES.jobs, job.metadata!.namespace, job.metadata!.name!, {
        propagationPolicy: 'Background',
        preconditions: { uid: job.metadata!.uid, resourceVersion: job.metadata!.resourceVersion },
      })
      this.ctx.log(`${this.name}: deleted job ${key} ${ttl}s after it finished`)
    } catch (e) {
      if (!isNotFound(e)) throw e
    }
  }
}
