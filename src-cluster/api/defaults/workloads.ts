// Defaults of the workload kinds (apps/v1, batch/v1), as upstream's SetDefaults_<Kind>.
import { defaultPodTemplate } from './pod'
import { defaultPersistentVolumeClaim } from './storage'
import { child, ensure, items, setDefault, type Obj } from './util'

export function defaultDeployment(obj: Obj): void {
  const spec = child(obj, 'spec')
  if (!spec) return
  setDefault(spec, 'replicas', 1)
  const strategy = ensure(spec, 'strategy')
  setDefault(strategy, 'type', 'RollingUpdate')
  if (strategy.type === 'RollingUpdate') {
    const ru = ensure(strategy, 'rollingUpdate')
    setDefault(ru, 'maxUnavailable', '25%')
    setDefault(ru, 'maxSurge', '25%')
  }
  setDefault(spec, 'revisionHistoryLimit', 10)
  setDefault(spec, 'progressDeadlineSeconds', 600)
  defaultPodTemplate(child(spec, 'template'))
}

export function defaultReplicaSet(rs: Obj): void {
  const spec = child(rs, 'spec')
  if (!spec) return
  setDefault(spec, 'replicas', 1)
  defaultPodTemplate(child(spec, 'template'))
}

export function defaultStatefulSet(sts: Obj): void {
  const spec = child(sts, 'spec')
  if (!spec) return
  setDefault(spec, 'replicas', 1)
  setDefault(spec, 'podManagementPolicy', 'OrderedReady')
  const us = ensure(spec, 'updateStrategy')
  setDefault(us, 'type', 'RollingUpdate')
  if (us.type === 'RollingUpdate') setDefault(ensure(us, 'rollingUpdate'), 'partition', 0)
  setDefault(spec, 'revisionHistoryLimit', 10)
  const retention = ensure(spec, 'persistentVolumeClaimRetentionPolicy')
  setDefault(retention, 'whenDeleted', 'Retain')
  setDefault(retention, 'whenScaled', 'Retain')
  for (const pvc of items(spec, 'volumeClaimTemplates')) defaultPersistentVolumeClaim(pvc)
  defaultPodTemplate(child(spec, 'template'))
}

export function defaultDaemonSet(ds: Obj): void {
  const spec = child(ds, 'spec')
  if (!spec) return
  const us = ensure(spec, 'updateStrategy')
  setDefault(us, 'type', 'RollingUpdate')
  if (us.type === 'RollingUpdate') {
    const ru = ensure(us, 'rollingUpdate')
    setDefault(ru, 'maxUnavailable', 1)
    setDefault(ru, 'maxSurge', 0)
  }
  setDefault(spec, 'revisionHistoryLimit', 10)
  defaultPodTemplate(child(spec, 'template'))
}

export function defaultJob(job: Obj): void {
  const spec = child(job, 'spec')
  if (!spec) return
  if (spec.completions == null && spec.parallelism == null) {
    spec.completions = 1
    spec.parallelism = 1
  }
  setDefault(spec, 'parallelism', 1)
  setDefault(spec, 'backoffLimit', spec.backoffLimitPerIndex != null ? 2147483647 : 6)
  setDefault(spec, 'completionMode', 'NonIndexed')
  setDefault(spec, 'suspend', false)
  setDefault(spec, 'podReplacementPolicy', spec.podFailurePolicy != null ? 'Failed' : 'TerminatingOrFailed')
  for (const rule of items(child(spec, 'podFailurePolicy'), 'rules')) {
    for (const cond of items(rule, 'onPodConditions')) setDefault(cond, 'status', 'True')
  }
  // A Job without labels takes its template's labels.
  const meta = ensure(job, 'metadata')
  const tplLabels = child(child(child(spec, 'template'), 'metadata'), 'labels')
  if (!child(meta, 'labels') || Object.keys(child(meta, 'labels') ?? {}).length === 0) {
    if (tplLabels && Object.keys(tplLabels).length > 0) meta.labels = { ...tplLabels }
  }
  generateJobSelector(job)
  defaultPodTemplate(child(spec, 'template'))
}

/**
 * Upstream's job strategy generates a selector from the Job's uid unless manualSelector is true.
 * Needs metadata.uid (set by the server before defaulting); does nothing without it.
 */
export function generateJobSelector(job: Obj): void {
  const spec = child(job, 'spec')
  const uid = child(job, 'metadata')?.uid
  const name = child(job, 'metadata')?.name
  if (!spec || spec.manualSelector === true || typeof uid !== 'string' || uid === '') return
  const template = ensure(spec, 'template')
  const tplMeta = ensure(template, 'metadata')
  const labels = ensure(tplMeta, 'labels')
  setDefault(labels, 'batch.kubernetes.io/controller-uid', uid)
  setDefault(labels, 'controller-uid', uid)
  if (typeof name === 'string') {
    setDefault(labels, 'batch.kubernetes.io/job-name', name)
    setDefault(labels, 'job-name', name)
  }
  if (!child(spec, 'selector')) spec.selector = { matchLabels: { 'batch.kubernetes.io/controller-uid': uid } }
}

export function defaultCronJob(cj: Obj): void {
  const spec = child(cj, 'spec')
  if (!spec) return
  setDefault(spec, 'concurrencyPolicy', 'Allow')
  setDefault(spec, 'suspend', false)
  setDefault(spec, 'successfulJobsHistoryLimit', 3)
  setDefault(spec, 'failedJobsHistoryLimit', 1)
  defaultPodTemplate(child(child(child(spec, 'jobTemplate'), 'spec'), 'template'))
}
