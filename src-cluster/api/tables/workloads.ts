// Printers for apps, batch, autoscaling and policy kinds.

import type { ControllerRevision, DaemonSet, Deployment, ReplicaSet, StatefulSet } from 'kubernetes-types/apps/v1'
import type { HorizontalPodAutoscaler, MetricSpec, MetricStatus } from 'kubernetes-types/autoscaling/v2'
import type { CronJob, Job, JobCondition } from 'kubernetes-types/batch/v1'
import type { PodDisruptionBudget } from 'kubernetes-types/policy/v1'
import type { PodTemplate, ReplicationController } from 'kubernetes-types/core/v1'
import { ageSince, humanDuration, parseTimestamp } from '../age'
import type { KubeObject } from '../object'
import {
  AGE_COLUMN,
  CONTAINERS_COLUMN,
  IMAGES_COLUMN,
  NAME_COLUMN,
  SELECTOR_COLUMN,
  ageOf,
  boolPtr,
  col,
  containerCells,
  formatLabelSelector,
  formatLabels,
  int,
  intOrString,
  nameOf,
  selectorText,
} from './format'
import type { Printer } from './types'

const as = <T>(obj: KubeObject): T => obj as unknown as T

/** spec.replicas is defaulted to 1 by the API server; treat a missing value the same way. */
const replicas = (v: number | undefined): number => (typeof v === 'number' ? Math.trunc(v) : 1)

export const deploymentPrinter: Printer = {
  columns: [
    NAME_COLUMN,
    col('Ready', 'string', 'Ready pods out of desired replicas.'),
    col('Up-to-date', 'string', 'Pods running the latest pod template.'),
    col('Available', 'string', 'Pods available to serve (ready for at least minReadySeconds).'),
    AGE_COLUMN,
    CONTAINERS_COLUMN,
    IMAGES_COLUMN,
    SELECTOR_COLUMN,
  ],
  row(obj, now) {
    const d = as<Deployment>(obj)
    const [names, images] = containerCells(d.spec?.template?.spec?.containers)
    return {
      cells: [
        nameOf(obj),
        `${int(d.status?.readyReplicas)}/${replicas(d.spec?.replicas)}`,
        int(d.status?.updatedReplicas),
        int(d.status?.availableReplicas),
        ageOf(obj, now),
        names,
        images,
        selectorText(d.spec?.selector),
      ],
    }
  },
}

export const replicaSetPrinter: Printer = {
  columns: [
    NAME_COLUMN,
    col('Desired', 'integer', 'Number of pods wanted.'),
    col('Current', 'integer', 'Number of pods that exist.'),
    col('Ready', 'integer', 'Number of ready pods.'),
    AGE_COLUMN,
    CONTAINERS_COLUMN,
    IMAGES_COLUMN,
    SELECTOR_COLUMN,
  ],
  row(obj, now) {
    const rs = as<ReplicaSet>(obj)
    const [names, images] = containerCells(rs.spec?.template?.spec?.containers)
    return {
      cells: [
        nameOf(obj),
        replicas(rs.spec?.replicas),
        int(rs.status?.replicas),
        int(rs.status?.readyReplicas),
        ageOf(obj, now),
        names,
        images,
        formatLabelSelector(rs.spec?.selector),
      ],
    }
  },
}

export const daemonSetPrinter: Printer = {
  columns: [
    NAME_COLUMN,
    col('Desired', 'integer', 'Nodes that should run the daemon pod.'),
    col('Current', 'integer', 'Nodes running at least one daemon pod.'),
    col('Ready', 'integer', 'Nodes whose daemon pod is ready.'),
    col('Up-to-date', 'integer', 'Nodes running the latest daemon pod template.'),
    col('Available', 'integer', 'Nodes whose daemon pod is available.'),
    col('Node Selector', 'string', 'Node labels the daemon pods are limited to.'),
    AGE_COLUMN,
    CONTAINERS_COLUMN,
    IMAGES_COLUMN,
    SELECTOR_COLUMN,
  ],
  row(obj, now) {
    const ds = as<DaemonSet>(obj)
    const st = ds.status
    const [names, images] = containerCells(ds.spec?.template?.spec?.containers)
    return {
      cells: [
        nameOf(obj),
        int(st?.desiredNumberScheduled),
        int(st?.currentNumberScheduled),
        int(st?.numberReady),
        int(st?.updatedNumberScheduled),
        int(st?.numberAvailable),
        formatLabels(ds.spec?.template?.spec?.nodeSelector),
        ageOf(obj, now),
        names,
        images,
        formatLabelSelector(ds.spec?.selector),
      ],
    }
  },
}

export const statefulSetPrinter: Printer = {
  columns: [NAME_COLUMN, col('Ready', 'string', 'Ready pods out of desired replicas.'), AGE_COLUMN, CONTAINERS_COLUMN, IMAGES_COLUMN],
  row(obj, now) {
    const ss = as<StatefulSet>(obj)
    const [names, images] = containerCells(ss.spec?.template?.spec?.containers)
    return { cells: [nameOf(obj), `${int(ss.status?.readyReplicas)}/${replicas(ss.spec?.replicas)}`, ageOf(obj, now), names, images] }
  },
}

/** "daemonset.apps/web" for the controlling owner, "<none>" without one. */
function controllerName(obj: KubeObject): string {
  const ref = (obj.metadata?.ownerReferences ?? []).find((r) => r['controller'] === true)
  if (!ref) return '<none>'
  const apiVersion = typeof ref['apiVersion'] === 'string' ? ref['apiVersion'] : ''
  const kind = typeof ref['kind'] === 'string' ? ref['kind'] : ''
  const name = typeof ref['name'] === 'string' ? ref['name'] : ''
  const group = apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : ''
  if (!group && !kind) return name
  return `${(group ? `${kind}.${group}` : kind).toLowerCase()}/${name}`
}

export const controllerRevisionPrinter: Printer = {
  columns: [NAME_COLUMN, col('Controller', 'string', 'The object that owns this revision.'), col('Revision', 'string', 'Revision number.'), AGE_COLUMN],
  row: (obj, now) => ({ cells: [nameOf(obj), controllerName(obj), int(as<ControllerRevision>(obj).revision), ageOf(obj, now)] }),
}

const jobCondition = (conds: JobCondition[] | undefined, type: string): boolean => {
  const c = (conds ?? []).find((x) => x.type === type)
  return c?.status === 'True'
}

function jobStatus(job: Job): string {
  const conds = job.status?.conditions
  if (jobCondition(conds, 'Complete')) return 'Complete'
  if (jobCondition(conds, 'Failed')) return 'Failed'
  if (job.metadata?.deletionTimestamp) return 'Terminating'
  if (jobCondition(conds, 'Suspended')) return 'Suspended'
  if (jobCondition(conds, 'FailureTarget')) return 'FailureTarget'
  return 'Running'
}

function jobCompletions(job: Job): string {
  const succeeded = int(job.status?.succeeded)
  if (typeof job.spec?.completions === 'number') return `${succeeded}/${job.spec.completions}`
  const parallelism = int(job.spec?.parallelism)
  return parallelism > 1 ? `${succeeded}/1 of ${parallelism}` : `${succeeded}/1`
}

function jobDuration(job: Job, now: Date): string {
  const start = parseTimestamp(job.status?.startTime)
  if (start === undefined) return ''
  const end = parseTimestamp(job.status?.completionTime)
  return humanDuration((end ?? now.getTime()) - start)
}

export const jobPrinter: Printer = {
  columns: [
    NAME_COLUMN,
    col('Status', 'string', 'Complete, Failed, Running, Suspended, Terminating or FailureTarget.'),
    col('Completions', 'string', 'Succeeded pods out of required completions.'),
    col('Duration', 'string', 'How long the job ran, or has been running.'),
    AGE_COLUMN,
    CONTAINERS_COLUMN,
    IMAGES_COLUMN,
    SELECTOR_COLUMN,
  ],
  row(obj, now) {
    const job = as<Job>(obj)
    const [names, images] = containerCells(job.spec?.template?.spec?.containers)
    return {
      cells: [nameOf(obj), jobStatus(job), jobCompletions(job), jobDuration(job, now), ageOf(obj, now), names, images, formatLabelSelector(job.spec?.selector)],
    }
  },
}

export const cronJobPrinter: Printer = {
  columns: [
    NAME_COLUMN,
    col('Schedule', 'string', 'Cron schedule.'),
    col('Timezone', 'string', 'Time zone the schedule is read in.'),
    col('Suspend', 'boolean', 'Whether new runs are suspended.'),
    col('Active', 'integer', 'Jobs currently running.'),
    col('Last Schedule', 'string', 'Time since a job was last scheduled.'),
    AGE_COLUMN,
    CONTAINERS_COLUMN,
    IMAGES_COLUMN,
    SELECTOR_COLUMN,
  ],
  row(obj, now) {
    const cj = as<CronJob>(obj)
    const tmpl = cj.spec?.jobTemplate?.spec
    const [names, images] = containerCells(tmpl?.template?.spec?.containers)
    const last = cj.status?.lastScheduleTime ? ageSince(cj.status.lastScheduleTime, now) : '<none>'
    return {
      cells: [
        nameOf(obj),
        cj.spec?.schedule ?? '',
        cj.spec?.timeZone ?? '<none>',
        boolPtr(cj.spec?.suspend),
        (cj.status?.active ?? []).length,
        last,
        ageOf(obj, now),
        names,
        images,
        formatLabelSelector(tmpl?.selector),
      ],
    }
  },
}

// --- HorizontalPodAutoscaler ---------------------------------------------------------------------

/** A nil Quantity pointer prints as "<nil>" upstream. */
const q = (v: string | number | undefined): string => (v === undefined ? '<nil>' : String(v))
const pct = (v: number | undefined): string | undefined => (typeof v === 'number' ? `${Math.trunc(v)}%` : undefined)

function formatMetric(spec: MetricSpec, status: MetricStatus | undefined): string {
  switch (spec.type) {
    case 'External': {
      const target = spec.external?.target
      const cur = status?.external?.current
      if (target?.averageValue !== undefined) {
        const current = cur?.averageValue !== undefined ? String(cur.averageValue) : '<unknown>'
        return `${current}/${target.averageValue} (avg)`
      }
      return `${status?.external ? q(cur?.value) : '<unknown>'}/${q(target?.value)}`
    }
    case 'Pods':
      return `${status?.pods ? q(status.pods.current?.averageValue) : '<unknown>'}/${q(spec.pods?.target?.averageValue)}`
    case 'Object': {
      const target = spec.object?.target
      const cur = status?.object?.current
      if (target?.averageValue !== undefined) {
        const current = cur?.averageValue !== undefined ? String(cur.averageValue) : '<unknown>'
        return `${current}/${target.averageValue} (avg)`
      }
      return `${status?.object ? q(cur?.value) : '<unknown>'}/${q(target?.value)}`
    }
    case 'Resource':
    case 'ContainerResource': {
      const src = spec.type === 'Resource' ? spec.resource : spec.containerResource
      const cur = spec.type === 'Resource' ? status?.resource : status?.containerResource
      const name = src?.name ?? ''
      if (src?.target?.averageValue !== undefined) {
        return `${name}: ${cur ? q(cur.current?.averageValue) : '<unknown>'}/${src.target.averageValue}`
      }
      const current = pct(cur?.current?.averageUtilization) ?? '<unknown>'
      return `${name}: ${current}/${pct(src?.target?.averageUtilization) ?? '<auto>'}`
    }
    default:
      return '<unknown type>'
  }
}

/** "cpu: 40%/80%, memory: <unknown>/200Mi + 1 more..." */
export function formatHPAMetrics(specs: MetricSpec[] | undefined, statuses: MetricStatus[] | undefined): string {
  const list = specs ?? []
  if (list.length === 0) return '<none>'
  const parts = list.map((s, i) => formatMetric(s, statuses?.[i]))
  const max = 2
  if (parts.length > max) return `${parts.slice(0, max).join(', ')} + ${parts.length - max} more...`
  return parts.join(', ')
}

export const hpaPrinter: Printer = {
  columns: [
    NAME_COLUMN,
    col('Reference', 'string', 'The scaled object, as Kind/name.'),
    col('Targets', 'string', 'Current and target values of each metric.'),
    col('MinPods', 'string', 'Lower replica limit.'),
    col('MaxPods', 'string', 'Upper replica limit.'),
    col('Replicas', 'string', 'Current number of replicas.'),
    AGE_COLUMN,
  ],
  row(obj, now) {
    const h = as<HorizontalPodAutoscaler>(obj)
    const ref = h.spec?.scaleTargetRef
    return {
      cells: [
        nameOf(obj),
        `${ref?.kind ?? ''}/${ref?.name ?? ''}`,
        formatHPAMetrics(h.spec?.metrics, h.status?.currentMetrics),
        typeof h.spec?.minReplicas === 'number' ? String(h.spec.minReplicas) : '<unset>',
        int(h.spec?.maxReplicas),
        int(h.status?.currentReplicas),
        ageOf(obj, now),
      ],
    }
  },
}

export const pdbPrinter: Printer = {
  columns: [
    NAME_COLUMN,
    col('Min Available', 'string', 'Pods that must stay available.'),
    col('Max Unavailable', 'string', 'Pods that may be unavailable.'),
    col('Allowed Disruptions', 'integer', 'Pods that may be evicted right now.'),
    AGE_COLUMN,
  ],
  row(obj, now) {
    const p = as<PodDisruptionBudget>(obj)
    return {
      cells: [
        nameOf(obj),
        intOrString(p.spec?.minAvailable) ?? 'N/A',
        intOrString(p.spec?.maxUnavailable) ?? 'N/A',
        int(p.status?.disruptionsAllowed),
        ageOf(obj, now),
      ],
    }
  },
}

/** core/v1 ReplicationControllers: the ReplicaSet columns, the selector printed as a label map. */
export const replicationControllerPrinter: Printer = {
  columns: replicaSetPrinter.columns,
  row(obj, now) {
    const rc = as<ReplicationController>(obj)
    const [names, images] = containerCells(rc.spec?.template?.spec?.containers)
    return {
      cells: [
        nameOf(obj),
        replicas(rc.spec?.replicas),
        int(rc.status?.replicas),
        int(rc.status?.readyReplicas),
        ageOf(obj, now),
        names,
        images,
        formatLabels(rc.spec?.selector),
      ],
    }
  },
}

/** core/v1 PodTemplates: upstream's Name, Containers, Images, Pod Labels. */
export const podTemplatePrinter: Printer = {
  columns: [
    NAME_COLUMN,
    col('Containers', 'string', 'Names of each container in the template.'),
    col('Images', 'string', 'Images referenced by each container in the template.'),
    col('Pod Labels', 'string', 'The labels for the pod template.'),
  ],
  row(obj) {
    const pt = as<PodTemplate>(obj)
    const [names, images] = containerCells(pt.template?.spec?.containers)
    return { cells: [nameOf(obj), names, images, formatLabels(pt.template?.metadata?.labels)] }
  },
}
