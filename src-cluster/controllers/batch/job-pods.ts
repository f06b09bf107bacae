// Pods of a Job: what the controller creates from the template (labels, tracking finalizer,
// owner reference, completion index for Indexed jobs) and how it reads them back.

import type { Container } from 'kubernetes-types/core/v1'
import type { JobObj as Job, PodObj as Pod } from '../../kit/objects'

export const TRACKING_FINALIZER = 'batch.kubernetes.io/job-tracking'
export const COMPLETION_INDEX = 'batch.kubernetes.io/job-completion-index'

export function completionIndexOf(pod: Pod): number | undefined {
  const v = pod.metadata?.annotations?.[COMPLETION_INDEX] ?? pod.metadata?.labels?.[COMPLETION_INDEX]
  if (v === undefined) return undefined
  const n = Number(v)
  return Number.isInteger(n) && n >= 0 ? n : undefined
}

export function hasTrackingFinalizer(pod: Pod): boolean {
  return !!pod.metadata?.finalizers?.includes(TRACKING_FINALIZER)
}

function withIndexEnv(c: Container): Container {
  const env = (c.env ?? []).filter((e) => e.name !== 'JOB_COMPLETION_INDEX')
  env.push({ name: 'JOB_COMPLETION_INDEX', valueFrom: { fieldRef: { fieldPath: `metadata.annotations['${COMPLETION_INDEX}']` } } })
  return { ...c, env }
}

/** The pod the Job controller creates (index only for Indexed jobs). */
export function podForJob(job: Job, index?: number): Pod {
  const tpl = structuredClone(job.spec!.template)
  const name = job.metadata!.name!
  const uid = job.metadata!.uid!
  const labels: Record<string, string> = {
    ...(tpl.metadata?.labels ?? {}),
    'batch.kubernetes.io/controller-uid': uid,
    'controller-uid': uid,
    'batch.kubernetes.io/job-name': name,
    'job-name': name,
  }
  const annotations: Record<string, string> = { ...(tpl.metadata?.annotations ?? {}) }
  const spec = tpl.spec!
  if (index !== undefined) {
    labels[COMPLETION_INDEX] = String(index)
    annotations[COMPLETION_INDEX] = String(index)
    spec.hostname = `${name}-${index}`
    spec.containers = spec.containers.map(withIndexEnv)
    if (spec.initContainers) spec.initContainers = spec.initContainers.map(withIndexEnv)
  }
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      generateName: index !== undefined ? `${name}-${index}-` : `${name}-`,
      namespace: job.metadata!.namespace,
      labels,
      annotations: Object.keys(annotations).length ? annotations : undefined,
      finalizers: [TRACKING_FINALIZER],
      ownerReferences: [{ apiVersion: 'batch/v1', kind: 'Job', name, uid, controller: true, blockOwnerDeletion: true }],
    },
    spec,
  }
}
