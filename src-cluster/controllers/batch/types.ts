// Object types these controllers handle: kubernetes-types shapes usable where the client and
// informers expect a KubeObject.
import type { KubeObject } from '../../api/errors'
import type { CronJob, Job } from 'kubernetes-types/batch/v1'
import type { Pod } from 'kubernetes-types/core/v1'

export type PodObj = KubeObject & Pod
export type JobObj = KubeObject & Job
export type CronJobObj = KubeObject & CronJob
