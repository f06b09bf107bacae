// Contract for resource lists, details and actions (owned by the RESOURCES engineer).
// Lists are list + watch on the backend (informers); the renderer receives one snapshot, then
// batches of changes (`resources.batch`, flushed about every 100 ms) that carry resourceVersions
// so it can drop anything older than what it already shows. Free of Node and DOM imports.

/** A JSON value as it crosses the contract (Kubernetes objects are plain JSON). */
export type Json = string | number | boolean | null | Json[] | { [key: string]: Json }
export type JsonObject = { [key: string]: Json }

/** Which part of the Resources view a type belongs to. */
export type ResourceSection = 'workloads' | 'network' | 'config' | 'storage' | 'cluster'

/** One resource type the app lists; `type` is its plural, unique across the types below. */
export interface ResourceTypeInfo {
  type: string
  kind: string
  apiVersion: string
  namespaced: boolean
  section: ResourceSection
  /** Scale / restart rollout apply to it. */
  scalable: boolean
  restartable: boolean
}

/** The types the Resources view offers, in menu order. */
export const resourceTypes: readonly ResourceTypeInfo[] = [
  { type: 'deployments', kind: 'Deployment', apiVersion: 'apps/v1', namespaced: true, section: 'workloads', scalable: true, restartable: true },
  { type: 'statefulsets', kind: 'StatefulSet', apiVersion: 'apps/v1', namespaced: true, section: 'workloads', scalable: true, restartable: true },
  { type: 'daemonsets', kind: 'DaemonSet', apiVersion: 'apps/v1', namespaced: true, section: 'workloads', scalable: false, restartable: true },
  { type: 'replicasets', kind: 'ReplicaSet', apiVersion: 'apps/v1', namespaced: true, section: 'workloads', scalable: true, restartable: false },
  { type: 'pods', kind: 'Pod', apiVersion: 'v1', namespaced: true, section: 'workloads', scalable: false, restartable: false },
  { type: 'jobs', kind: 'Job', apiVersion: 'batch/v1', namespaced: true, section: 'workloads', scalable: false, restartable: false },
  { type: 'cronjobs', kind: 'CronJob', apiVersion: 'batch/v1', namespaced: true, section: 'workloads', scalable: false, restartable: false },
  { type: 'services', kind: 'Service', apiVersion: 'v1', namespaced: true, section: 'network', scalable: false, restartable: false },
  {
    type: 'endpointslices',
    kind: 'EndpointSlice',
    apiVersion: 'discovery.k8s.io/v1',
    namespaced: true,
    section: 'network',
    scalable: false,
    restartable: false,
  },
  { type: 'ingresses', kind: 'Ingress', apiVersion: 'networking.k8s.io/v1', namespaced: true, section: 'network', scalable: false, restartable: false },
  { type: 'configmaps', kind: 'ConfigMap', apiVersion: 'v1', namespaced: true, section: 'config', scalable: false, restartable: false },
  { type: 'secrets', kind: 'Secret', apiVersion: 'v1', namespaced: true, section: 'config', scalable: false, restartable: false },
  {
    type: 'persistentvolumeclaims',
    kind: 'PersistentVolumeClaim',
    apiVersion: 'v1',
    namespaced: true,
    section: 'storage',
    scalable: false,
    restartable: false,
  },
  { type: 'persistentvolumes', kind: 'PersistentVolume', apiVersion: 'v1', namespaced: false, section: 'storage', scalable: false, restartable: false },
  { type: 'storageclasses', kind: 'StorageClass', apiVersion: 'storage.k8s.io/v1', namespaced: false, section: 'storage', scalable: false, restartable: false },
  { type: 'nodes', kind: 'Node', apiVersion: 'v1', namespaced: false, section: 'cluster', scalable: false, restartable: false },
  { type: 'namespaces', kind: 'Namespace', apiVersion: 'v1', namespaced: false, section: 'cluster', scalable: false, restartable: false },
  { type: 'events', kind: 'Event', apiVersion: 'v1', namespaced: true, section: 'cluster', scalable: false, restartable: false },
]

export function resourceTypeInfo(type: string): ResourceTypeInfo | undefined {
  return resourceTypes.find((t) => t.type === type)
}

/** Colour family of a row: what the table badge and the topology tint show. */
export type RowTone = 'ok' | 'busy' | 'bad' | 'idle'

export interface ColumnInfo {
  name: string
  /** 0: always shown; 1: extra detail (kubectl's `-o wide`). */
  priority: number
  /** Cells of `date` columns (Age) are recomputed by the renderer from `createdAt`. */
  type: string
}

export interface OwnerInfo {
  kind: string
  name: string
  uid: string
}

/** One object as a table row, plus the few fields the topology needs. */
export interface ResourceRow {
  /** `namespace/name`, or `name` for cluster-scoped objects. */
  key: string
  uid: string
  name: string
  namespace: string | null
  resourceVersion: string
  createdAt: string | null
  /** One cell per column, as kubectl prints them (server-side Table rules). */
  cells: (string | number | boolean)[]
  tone: RowTone
  /** Short status word for badges (Running, Pending, Ready, NotReady, ...). */
  status: string
  labels: Record<string, string>
  owners: OwnerInfo[]
  /** Pods: the node they run on (null while unscheduled). */
  nodeName: string | null
  /** Services and workloads: the label selector (matchLabels only); null when none. */
  selector: Record<string, string> | null
  /** Pods: their containers, init containers first (for container pickers); absent otherwise. */
  containers?: PodContainerInfo[]
}

/** One container of a pod, as the log and shell pickers list it. */
export interface PodContainerInfo {
  name: string
  /** An init container (runs to completion before the others start). */
  init: boolean
  /** Container ports it declares (for port-forward pickers); absent when none. */
  ports?: number[]
}

export interface WatchParams {
  cluster: string
  type: string
  /** null: all namespaces. Ignored for cluster-scoped types. */
  namespace: string | null
}

export interface WatchSnapshot {
  watchId: string
  columns: ColumnInfo[]
  rows: ResourceRow[]
  resourceVersion: string
}

/** Changes since the last batch, coalesced per object (the last change wins). */
export interface ResourceBatch {
  watchId: string
  upserts: ResourceRow[]
  deletes: { key: string; resourceVersion: string }[]
  /** Set when the watch broke for good (e.g. the cluster stopped); the list is then stale. */
  problem: string | null
}

export interface ObjectParams {
  cluster: string
  type: string
  namespace: string | null
  name: string
}

export interface EventInfo {
  type: string
  reason: string
  message: string
  count: number
  source: string
  lastSeen: string | null
}

export interface ObjectDetail {
  object: JsonObject
  /** The object as YAML, without managedFields (what the editor starts from). */
  yaml: string
  events: EventInfo[]
}

/** One problem the API server reported, placed in the submitted YAML where possible. */
export interface FieldProblem {
  /** Dotted path as the server names it, e.g. `spec.containers[0].image`; empty for the whole object. */
  field: string
  message: string
  reason: string
  /** 1-based line in the submitted YAML the field starts at; null when it cannot be found. */
  line: number | null
}

export type ApplyResult =
  | { outcome: 'created' | 'updated'; type: string; namespace: string | null; name: string; yaml: string }
  | {
      outcome: 'rejected'
      /** HTTP status and Status reason from the API server (e.g. 422 Invalid), or 0 / `ParseError` for YAML we could not read. */
      code: number
      reason: string
      message: string
      problems: FieldProblem[]
    }

export interface ApplyParams {
  cluster: string
  yaml: string
}

export interface ResourceRequests {
  'resources.types': { params: void; result: ResourceTypeInfo[] }
  'resources.watch': { params: WatchParams; result: WatchSnapshot }
  'resources.unwatch': { params: { watchId: string }; result: void }
  'resources.get': { params: ObjectParams; result: ObjectDetail }
  'resources.apply': { params: ApplyParams; result: ApplyResult }
  'resources.scale': { params: ObjectParams & { replicas: number }; result: void }
  'resources.restart': { params: ObjectParams; result: void }
  'resources.delete': { params: ObjectParams; result: void }
  /** Marks a node (un)schedulable, as `kubectl cordon` / `uncordon`. */
  'resources.cordon': { params: { cluster: string; name: string; unschedulable: boolean }; result: void }
}

export interface ResourceEvents {
  'resources.batch': ResourceBatch
}

export const resourceRequestTable = {
  'resources.types': true,
  'resources.watch': true,
  'resources.unwatch': true,
  'resources.get': true,
  'resources.apply': true,
  'resources.scale': true,
  'resources.restart': true,
  'resources.delete': true,
  'resources.cordon': true,
} as const satisfies Record<keyof ResourceRequests, true>

export const resourceEventTable = {
  'resources.batch': true,
} as const satisfies Record<keyof ResourceEvents, true>
