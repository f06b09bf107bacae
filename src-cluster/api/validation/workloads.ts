// Deployment, ReplicaSet, StatefulSet, DaemonSet, Job and CronJob rules.
import { fieldErr, type FieldError } from '../errors'
import { parseCron } from '../cron'
import { validatePodTemplate } from './pod'
import { selectorIsEmpty, selectorMatches, validateSelector } from './selector'
import { child, items, nonNegative, num, str, type Obj } from './util'

/** Selector required, non-empty and matching the template labels; template restartPolicy as allowed. */
function selectorAndTemplate(
  spec: Obj,
  path: string,
  kindWord: string,
  restart: string[],
  requireSelector = true,
  extraVolumes: readonly string[] = [],
): FieldError[] {
  const errs: FieldError[] = []
  const sel = child(spec, 'selector')
  const template = child(spec, 'template')
  if (!sel) {
    if (requireSelector) errs.push(fieldErr.required(`${path}.selector`))
  } else {
    errs.push(...validateSelector(sel, `${path}.selector`))
    if (selectorIsEmpty(sel)) errs.push(fieldErr.invalid(`${path}.selector`, sel, `empty selector is invalid for ${kindWord}`))
    else if (template) {
      const labels = child(child(template, 'metadata'), 'labels') ?? {}
      if (!selectorMatches(sel, labels)) {
        errs.push(fieldErr.invalid(`${path}.template.metadata.labels`, labels, '`selector` does not match template `labels`'))
      }
    }
  }
  errs.push(...validatePodTemplate(template, `${path}.template`, extraVolumes))
  const rp = str(child(template, 'spec'), 'restartPolicy')
  if (template && rp !== undefined && !restart.includes(rp)) errs.push(fieldErr.notSupported(`${path}.template.spec.restartPolicy`, rp, restart))
  return errs
}

function percentOrInt(errs: FieldError[], v: unknown, path: string): number | undefined {
  if (typeof v === 'number') {
    if (v < 0) errs.push(fieldErr.invalid(path, v, 'must be greater than or equal to 0'))
    return v
  }
  if (typeof v === 'string') {
    const m = /^(\d+)%$/.exec(v)
    if (!m) {
      errs.push(
        fieldErr.invalid(
          path,
          v,
          "a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')",
        ),
      )
      return undefined
    }
    if (Number(m[1]) > 100) errs.push(fieldErr.invalid(path, v, 'must not be greater than 100%'))
    return Number(m[1])
  }
  return undefined
}

function rollingUpdate(errs: FieldError[], ru: Obj | undefined, path: string): void {
  if (!ru) return
  const unavailable = percentOrInt(errs, ru.maxUnavailable, `${path}.maxUnavailable`)
  const surge = percentOrInt(errs, ru.maxSurge, `${path}.maxSurge`)
  if (unavailable === 0 && surge === 0) errs.push(fieldErr.invalid(`${path}.maxUnavailable`, ru.maxUnavailable, 'may not be 0 when `maxSurge` is 0'))
}

export function validateDeployment(obj: Obj): FieldError[] {
  const spec = child(obj, 'spec')
  if (!spec) return [fieldErr.required('spec')]
  const errs = selectorAndTemplate(spec, 'spec', 'deployment', ['Always'])
  nonNegative(errs, spec, 'replicas', 'spec.replicas')
  nonNegative(errs, spec, 'minReadySeconds', 'spec.minReadySeconds')
  nonNegative(errs, spec, 'revisionHistoryLimit', 'spec.revisionHistoryLimit')
  const strategy = child(spec, 'strategy')
  const type = str(strategy, 'type')
  if (type !== undefined && type !== 'Recreate' && type !== 'RollingUpdate')
    errs.push(fieldErr.notSupported('spec.strategy.type', type, ['Recreate', 'RollingUpdate']))
  if (type === 'Recreate' && child(strategy, 'rollingUpdate')) {
    errs.push(fieldErr.forbidden('spec.strategy.rollingUpdate', "may not be specified when strategy `type` is 'Recreate'"))
  }
  rollingUpdate(errs, child(strategy, 'rollingUpdate'), 'spec.strategy.rollingUpdate')
  const pds = num(spec, 'progressDeadlineSeconds')
  if (pds !== undefined && pds <= (num(spec, 'minReadySeconds') ?? 0)) {
    errs.push(fieldErr.invalid('spec.progressDeadlineSeconds', pds, 'must be greater than minReadySeconds'))
  }
  return errs
}

export function validateReplicaSet(rs: Obj): FieldError[] {
  const spec = child(rs, 'spec')
  if (!spec) return [fieldErr.required('spec')]
  const errs = selectorAndTemplate(spec, 'spec', 'replicaset', ['Always'])
  nonNegative(errs, spec, 'replicas', 'spec.replicas')
  nonNegative(errs, spec, 'minReadySeconds', 'spec.minReadySeconds')
  return errs
}

export function validateStatefulSet(sts: Obj): FieldError[] {
  const spec = child(sts, 'spec')
  if (!spec) return [fieldErr.required('spec')]
  // Containers may mount the volumes that volumeClaimTemplates will provide.
  const claimNames = items(spec, 'volumeClaimTemplates')
    .map((t) => str(child(t, 'metadata'), 'name'))
    .filter((n): n is string => !!n)
  const errs = selectorAndTemplate(spec, 'spec', 'statefulset', ['Always'], true, claimNames)
  nonNegative(errs, spec, 'replicas', 'spec.replicas')
  const pmp = str(spec, 'podManagementPolicy')
  if (pmp !== undefined && pmp !== 'OrderedReady' && pmp !== 'Parallel')
    errs.push(fieldErr.notSupported('spec.podManagementPolicy', pmp, ['OrderedReady', 'Parallel']))
  const us = child(spec, 'updateStrategy')
  const type = str(us, 'type')
  if (type !== undefined && type !== 'RollingUpdate' && type !== 'OnDelete')
    errs.push(fieldErr.notSupported('spec.updateStrategy.type', type, ['OnDelete', 'RollingUpdate']))
  if (type === 'OnDelete' && child(us, 'rollingUpdate'))
    errs.push(fieldErr.invalid('spec.updateStrategy.rollingUpdate', child(us, 'rollingUpdate'), "only allowed for updateStrategy 'RollingUpdate'"))
  nonNegative(errs, child(us, 'rollingUpdate'), 'partition', 'spec.updateStrategy.rollingUpdate.partition')
  return errs
}

export function validateDaemonSet(ds: Obj): FieldError[] {
  const spec = child(ds, 'spec')
  if (!spec) return [fieldErr.required('spec')]
  const errs = selectorAndTemplate(spec, 'spec', 'daemonset', ['Always'])
  const us = child(spec, 'updateStrategy')
  const type = str(us, 'type')
  if (type !== undefined && type !== 'RollingUpdate' && type !== 'OnDelete')
    errs.push(fieldErr.notSupported('spec.updateStrategy.type', type, ['OnDelete', 'RollingUpdate']))
  rollingUpdate(errs, child(us, 'rollingUpdate'), 'spec.updateStrategy.rollingUpdate')
  return errs
}

function validateJobSpec(spec: Obj, path: string, inCronJob: boolean): FieldError[] {
  // Without manualSelector the server generates the selector from the Job's uid.
  const requireSelector = spec.manualSelector === true
  const errs = inCronJob
    ? [...validatePodTemplate(child(spec, 'template'), `${path}.template`), ...restartOnly(spec, path)]
    : selectorAndTemplate(spec, path, 'job', ['OnFailure', 'Never'], requireSelector)
  if (!inCronJob && str(child(child(spec, 'template'), 'spec'), 'restartPolicy') === undefined) {
    errs.push(fieldErr.required(`${path}.template.spec.restartPolicy`, 'valid values: "OnFailure", "Never"'))
  }
  for (const k of ['parallelism', 'completions', 'activeDeadlineSeconds', 'backoffLimit', 'ttlSecondsAfterFinished']) nonNegative(errs, spec, k, `${path}.${k}`)
  const mode = str(spec, 'completionMode')
  if (mode !== undefined && mode !== 'NonIndexed' && mode !== 'Indexed')
    errs.push(fieldErr.notSupported(`${path}.completionMode`, mode, ['NonIndexed', 'Indexed']))
  if (mode === 'Indexed' && num(spec, 'completions') === undefined) errs.push(fieldErr.required(`${path}.completions`, 'when completion mode is Indexed'))
  return errs
}

function restartOnly(spec: Obj, path: string): FieldError[] {
  const rp = str(child(child(spec, 'template'), 'spec'), 'restartPolicy')
  if (rp === undefined) return [fieldErr.required(`${path}.template.spec.restartPolicy`, 'valid values: "OnFailure", "Never"')]
  if (rp !== 'OnFailure' && rp !== 'Never') return [fieldErr.notSupported(`${path}.template.spec.restartPolicy`, rp, ['OnFailure', 'Never'])]
  return []
}

export function validateJob(job: Obj): FieldError[] {
  const spec = child(job, 'spec')
  if (!spec) return [fieldErr.required('spec')]
  return validateJobSpec(spec, 'spec', false)
}

export function validateCronJob(cj: Obj): FieldError[] {
  const spec = child(cj, 'spec')
  if (!spec) return [fieldErr.required('spec')]
  const errs: FieldError[] = []
  const name = str(child(cj, 'metadata'), 'name')
  // The Job name adds an 11-character suffix and must stay a 63-character label.
  if (name && name.length > 52) errs.push(fieldErr.invalid('metadata.name', name, 'must be no more than 52 characters'))
  const schedule = str(spec, 'schedule')
  if (!schedule) errs.push(fieldErr.required('spec.schedule'))
  else {
    try {
      parseCron(schedule)
    } catch (e) {
      errs.push(fieldErr.invalid('spec.schedule', schedule, (e as Error).message))
    }
  }
  const tz = str(spec, 'timeZone')
  if (tz !== undefined) {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: tz })
    } catch {
      errs.push(fieldErr.invalid('spec.timeZone', tz, `unknown time zone ${tz}`))
    }
  }
  const cp = str(spec, 'concurrencyPolicy')
  if (cp !== undefined && !['Allow', 'Forbid', 'Replace'].includes(cp))
    errs.push(fieldErr.notSupported('spec.concurrencyPolicy', cp, ['Allow', 'Forbid', 'Replace']))
  for (const k of ['startingDeadlineSeconds', 'successfulJobsHistoryLimit', 'failedJobsHistoryLimit']) nonNegative(errs, spec, k, `spec.${k}`)
  const jobSpec = child(child(spec, 'jobTemplate'), 'spec')
  if (!jobSpec) errs.push(fieldErr.required('spec.jobTemplate.spec'))
  else errs.push(...validateJobSpec(jobSpec, 'spec.jobTemplate.spec', true))
  return errs
}

/** core/v1 ReplicationController (upstream's ValidateReplicationControllerSpec). */
export function validateReplicationController(rc: Obj): FieldError[] {
  const spec = child(rc, 'spec')
  if (!spec) return [fieldErr.required('spec')]
  const errs: FieldError[] = []
  nonNegative(errs, spec, 'minReadySeconds', 'spec.minReadySeconds')
  const selector = child(spec, 'selector') ?? {}
  if (!Object.keys(selector).length) errs.push(fieldErr.required('spec.selector', ''))
  nonNegative(errs, spec, 'replicas', 'spec.replicas')
  const template = child(spec, 'template')
  if (!template) {
    errs.push(fieldErr.required('spec.template', ''))
    return errs
  }
  const labels = (child(child(template, 'metadata'), 'labels') ?? {}) as Record<string, unknown>
  if (Object.keys(selector).length && !Object.entries(selector).every(([k, v]) => labels[k] === v)) {
    errs.push(fieldErr.invalid('spec.template.metadata.labels', labels, '`selector` does not match template `labels`'))
  }
  errs.push(...validatePodTemplate(template, 'spec.template'))
  const tspec = child(template, 'spec')
  const rp = str(tspec, 'restartPolicy')
  if (rp !== undefined && rp !== 'Always') errs.push(fieldErr.notSupported('spec.template.spec.restartPolicy', rp, ['Always']))
  const ads = num(tspec, 'activeDeadlineSeconds')
  if (ads !== undefined)
    errs.push(fieldErr.invalid('spec.template.spec.activeDeadlineSeconds', ads, 'activeDeadlineSeconds in ReplicationController is not Supported'))
  return errs
}

/** core/v1 PodTemplate: its template as any pod template. */
export function validatePodTemplateObject(pt: Obj): FieldError[] {
  return validatePodTemplate(child(pt, 'template'), 'template')
}
