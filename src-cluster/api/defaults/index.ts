// Defaulting entry point: schema defaults first, then each kind's own rules (upstream's
// SetDefaults_* functions). Mutates the object in place.
import type { ResourceInfo } from '../resources'
import type { KubeObject } from '../object'
import { registryLookup, type Lookup } from '../schema/walk'
import { applySchemaDefaults } from './schema'
import { defaultPod, defaultPodTemplate } from './pod'
import { defaultCronJob, defaultDaemonSet, defaultDeployment, defaultJob, defaultReplicaSet, defaultStatefulSet } from './workloads'
import { defaultPersistentVolume, defaultPersistentVolumeClaim, defaultStorageClass } from './storage'
import { defaultBinding, defaultEndpointSlice, defaultHPA, defaultNamespace, defaultNetworkPolicy, defaultNode, defaultSecret, defaultService } from './others'
import { child, type Obj } from './util'
import { defaultCrd } from '../crd/validate-crd'
import type { CrdObject } from '../crd/types'

export { defaultPullPolicy } from './pod'
export { generateJobSelector } from './workloads'

/**
 * upstream's SetDefaults_LimitRangeItem for Container items: a missing default limit is the max,
 * a missing default request is the default limit, else the min.
 */
function defaultLimitRange(o: Obj): void {
  const limits = (child(o, 'spec')?.limits ?? []) as Obj[]
  for (const item of Array.isArray(limits) ? limits : []) {
    if (item.type !== 'Container') continue
    const def = { ...((item.default as Record<string, unknown> | undefined) ?? {}) }
    const req = { ...((item.defaultRequest as Record<string, unknown> | undefined) ?? {}) }
    for (const [k, v] of Object.entries((item.max as Record<string, unknown> | undefined) ?? {})) if (!(k in def)) def[k] = v
    for (const [k, v] of Object.entries(def)) if (!(k in req)) req[k] = v
    for (const [k, v] of Object.entries((item.min as Record<string, unknown> | undefined) ?? {})) if (!(k in req)) req[k] = v
    if (Object.keys(def).length) item.default = def
    if (Object.keys(req).length) item.defaultRequest = req
  }
}

/** upstream's SetDefaults_ReplicationController: selector and labels from the template's labels. */
function defaultReplicationController(o: Obj): void {
  const spec = child(o, 'spec')
  const template = child(spec, 'template')
  defaultPodTemplate(template)
  const labels = child(child(template, 'metadata'), 'labels')
  if (!spec || !labels) return
  if (!Object.keys(child(spec, 'selector') ?? {}).length) spec.selector = { ...labels }
  const meta = child(o, 'metadata')
  if (meta && !Object.keys(child(meta, 'labels') ?? {}).length) meta.labels = { ...labels }
}

const BY_KIND: Record<string, (o: Obj) => void> = {
  '/LimitRange': defaultLimitRange,
  '/Pod': defaultPod,
  '/PodTemplate': (o) => defaultPodTemplate(child(o, 'template')),
  '/ReplicationController': defaultReplicationController,
  '/Service': defaultService,
  '/Secret': defaultSecret,
  '/Namespace': defaultNamespace,
  '/Node': defaultNode,
  '/PersistentVolume': defaultPersistentVolume,
  '/PersistentVolumeClaim': defaultPersistentVolumeClaim,
  'apps/Deployment': defaultDeployment,
  'apps/ReplicaSet': defaultReplicaSet,
  'apps/StatefulSet': defaultStatefulSet,
  'apps/DaemonSet': defaultDaemonSet,
  'batch/Job': defaultJob,
  'batch/CronJob': defaultCronJob,
  'storage.k8s.io/StorageClass': defaultStorageClass,
  'networking.k8s.io/NetworkPolicy': defaultNetworkPolicy,
  'autoscaling/HorizontalPodAutoscaler': defaultHPA,
  'discovery.k8s.io/EndpointSlice': defaultEndpointSlice,
  'rbac.authorization.k8s.io/RoleBinding': defaultBinding,
  'rbac.authorization.k8s.io/ClusterRoleBinding': defaultBinding,
  'apiextensions.k8s.io/CustomResourceDefinition': (o) => defaultCrd(o as unknown as CrdObject),
}

export function applyDefaults(
  res: Pick<ResourceInfo, 'group' | 'kind' | 'schema'> & Partial<Pick<ResourceInfo, 'dynamic'>>,
  obj: KubeObject,
  lookup: Lookup = registryLookup,
): void {
  if (res.dynamic) return res.dynamic.applyDefaults(obj)
  let hasSchema = true
  try {
    lookup(res.schema)
  } catch {
    hasSchema = false
  }
  if (hasSchema) applySchemaDefaults(obj, res.schema, lookup)
  BY_KIND[`${res.group}/${res.kind}`]?.(obj)
}
