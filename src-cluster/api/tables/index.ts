// Server-side Table printing: which printer serves each resource, and assembling rows and Tables
// the way the upstream API server does (all cells, wide ones included; row objects per includeObject).

import type { KubeObject } from '../object'
import type { ResourceInfo } from '../resources'
import { parseTimestamp } from '../age'
import {
  configMapPrinter,
  endpointsPrinter,
  eventPrinter,
  namespacePrinter,
  nodePrinter,
  persistentVolumeClaimPrinter,
  persistentVolumePrinter,
  secretPrinter,
  serviceAccountPrinter,
  servicePrinter,
} from './core'
import { col } from './format'
import { endpointSlicePrinter, ingressClassPrinter, ingressPrinter, networkPolicyPrinter } from './networking'
import {
  clusterRoleBindingPrinter,
  leasePrinter,
  roleBindingPrinter,
  storageClassPrinter,
  priorityClassPrinter,
  webhookConfigurationPrinter,
  validatingAdmissionPolicyPrinter,
  validatingAdmissionPolicyBindingPrinter,
  csrPrinter,
  apiServicePrinter,
} from './platform'
import { podPrinter } from './pod'
import { limitRangePrinter, resourceQuotaPrinter } from './policy'
import type { IncludeObject, PartialObjectMetadata, Printer, Table, TableColumn, TableRow } from './types'
import {
  controllerRevisionPrinter,
  cronJobPrinter,
  daemonSetPrinter,
  deploymentPrinter,
  hpaPrinter,
  jobPrinter,
  pdbPrinter,
  replicaSetPrinter,
  replicationControllerPrinter,
  podTemplatePrinter,
  statefulSetPrinter,
} from './workloads'

export type * from './types'
export { summarizePod } from './pod'

// Keyed by "group/Kind" so every served version of a kind shares its printer.
const PRINTERS: Readonly<Record<string, Printer>> = {
  '/Pod': podPrinter,
  '/Node': nodePrinter,
  '/Namespace': namespacePrinter,
  '/Service': servicePrinter,
  '/Endpoints': endpointsPrinter,
  '/ConfigMap': configMapPrinter,
  '/Secret': secretPrinter,
  '/ServiceAccount': serviceAccountPrinter,
  '/Event': eventPrinter,
  '/PersistentVolume': persistentVolumePrinter,
  '/PersistentVolumeClaim': persistentVolumeClaimPrinter,
  '/ResourceQuota': resourceQuotaPrinter,
  '/ReplicationController': replicationControllerPrinter,
  '/PodTemplate': podTemplatePrinter,
  '/LimitRange': limitRangePrinter,
  'apps/Deployment': deploymentPrinter,
  'apps/ReplicaSet': replicaSetPrinter,
  'apps/DaemonSet': daemonSetPrinter,
  'apps/StatefulSet': statefulSetPrinter,
  'apps/ControllerRevision': controllerRevisionPrinter,
  'batch/Job': jobPrinter,
  'batch/CronJob': cronJobPrinter,
  'discovery.k8s.io/EndpointSlice': endpointSlicePrinter,
  'coordination.k8s.io/Lease': leasePrinter,
  // events.k8s.io Events live in the core Event storage upstream and print the same way.
  'events.k8s.io/Event': eventPrinter,
  'rbac.authorization.k8s.io/RoleBinding': roleBindingPrinter,
  'rbac.authorization.k8s.io/ClusterRoleBinding': clusterRoleBindingPrinter,
  'networking.k8s.io/Ingress': ingressPrinter,
  'networking.k8s.io/IngressClass': ingressClassPrinter,
  'networking.k8s.io/NetworkPolicy': networkPolicyPrinter,
  'storage.k8s.io/StorageClass': storageClassPrinter,
  'scheduling.k8s.io/PriorityClass': priorityClassPrinter,
  'admissionregistration.k8s.io/ValidatingWebhookConfiguration': webhookConfigurationPrinter,
  'admissionregistration.k8s.io/MutatingWebhookConfiguration': webhookConfigurationPrinter,
  'admissionregistration.k8s.io/ValidatingAdmissionPolicy': validatingAdmissionPolicyPrinter,
  'admissionregistration.k8s.io/ValidatingAdmissionPolicyBinding': validatingAdmissionPolicyBindingPrinter,
  'certificates.k8s.io/CertificateSigningRequest': csrPrinter,
  'apiregistration.k8s.io/APIService': apiServicePrinter,
  'autoscaling/HorizontalPodAutoscaler': hpaPrinter,
  'policy/PodDisruptionBudget': pdbPrinter,
}

/** RFC 3339 in UTC without fractional seconds, as Go formats a metav1.Time. */
function rfc3339(ts: string | null | undefined): string {
  const t = parseTimestamp(ts)
  return t === undefined ? '0001-01-01T00:00:00Z' : new Date(Math.floor(t / 1000) * 1000).toISOString().replace('.000Z', 'Z')
}

/** Kinds without a printer (Role, ClusterRole, ...): what upstream's default table convertor shows. */
const defaultPrinter: Printer = {
  columns: [
    col('Name', 'string', 'Name of the object, unique within its namespace.', 0, 'name'),
    col('Created At', 'date', 'Time the object was created (creationTimestamp).'),
  ],
  row: (obj) => ({ cells: [obj.metadata?.name ?? '', rfc3339(obj.metadata?.creationTimestamp)] }),
}

export function printerFor(res: Pick<ResourceInfo, 'group' | 'kind'> & Partial<Pick<ResourceInfo, 'dynamic'>>): Printer {
  return res.dynamic?.printer ?? PRINTERS[`${res.group}/${res.kind}`] ?? defaultPrinter
}

/** Whether `res` has its own printer (false means Name + Created At). */
export function hasPrinter(res: Pick<ResourceInfo, 'group' | 'kind'> & Partial<Pick<ResourceInfo, 'dynamic'>>): boolean {
  return !!res.dynamic || `${res.group}/${res.kind}` in PRINTERS
}

export function columnsFor(res: ResourceInfo): TableColumn[] {
  return printerFor(res).columns.map((c) => ({ ...c }))
}

function partialMetadata(obj: KubeObject): PartialObjectMetadata {
  return { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: obj.metadata ?? {} }
}

/**
 * One row: every cell (priority-1 ones too: kubectl drops them unless `-o wide`), row conditions
 * where upstream sets them (finished pods), and the object as `includeObject` asks
 * (default upstream is Metadata, which kubectl needs for NAMESPACE, --show-labels and -L).
 */
export function rowFor(res: ResourceInfo, obj: KubeObject, now: Date, includeObject: IncludeObject): TableRow {
  const { cells, conditions } = printerFor(res).row(obj, now)
  const row: TableRow = { cells }
  if (conditions) row.conditions = conditions.map((c) => ({ ...c }))
  if (includeObject === 'Object') row.object = obj
  else if (includeObject === 'Metadata') row.object = partialMetadata(obj)
  return row
}

export interface ToTableOptions {
  now: Date
  includeObject: IncludeObject
  resourceVersion: string
  continue?: string
  remainingItemCount?: number
  /**
   * false for watch events after the first: upstream sends column definitions only once per
   * watch (later events carry none), and kubectl keeps printing under the first header.
   */
  withColumns?: boolean
}

export function toTable(res: ResourceInfo, objs: readonly KubeObject[], opts: ToTableOptions): Table {
  const metadata: Table['metadata'] = { resourceVersion: opts.resourceVersion }
  if (opts.continue) metadata.continue = opts.continue
  if (opts.remainingItemCount !== undefined) metadata.remainingItemCount = opts.remainingItemCount
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata,
    columnDefinitions: opts.withColumns === false ? [] : columnsFor(res),
    rows: objs.map((o) => rowFor(res, o, opts.now, opts.includeObject)),
  }
}

/** Parses `?includeObject=`; upstream defaults to Metadata. Returns undefined for an invalid value. */
export function parseIncludeObject(value: string | null | undefined): IncludeObject | undefined {
  if (value === null || value === undefined || value === '') return 'Metadata'
  return value === 'None' || value === 'Metadata' || value === 'Object' ? value : undefined
}
