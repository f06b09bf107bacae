// Batch controllers: Job, CronJob and the TTL-after-finished cleaner.
import type { Controller } from '../framework'
import { CronJobController } from './cronjob'
import { JobController } from './job'
import { TTLAfterFinishedController } from './ttl-after-finished'

export { CronJobController, JobController, TTLAfterFinishedController }
export { backoffDelayMs, isJobFinished, BACKOFF_BASE_MS, BACKOFF_MAX_MS } from './job'
export { jobNameFor, mostRecentScheduleTime, SCHEDULED_TIMESTAMP } from './cronjob'
export { nextInZone, formatInZone, zoneOffsetMs } from './timezone'

/** Fresh controller instances (each start()s once). */
export function batchControllers(): Controller[] {
  return [new JobController(), new CronJobController(), new TTLAfterFinishedController()]
}
