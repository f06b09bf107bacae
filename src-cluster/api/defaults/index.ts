// Defaulting entry point: schema defaults first, then each kind's own rules (upstream's
// SetDefaults_* functions). Mutates the object in place.
import type { ResourceInfo } from '../resources'
import type { KubeObject } from '../errors'
import { registryLookup, type Lookup } from '../schema/walk'
import { applySchemaDefaults } from './schema'
import { defaultPod, defaultPodTemplate } from './pod'
import { defaultCronJob, defaultDaemonSet, defaultDeployment, defaultJob, defaultReplicaSet, defaultStatefulSet } from './workloads'
import { defaultPersistentVolume, defaultPersistentVolumeClaim, defaultStorageClass } from './storage'
import {
  defaultBinding,
  defaultEndpointSlice,
  defaultHPA,
  defaultNamespace,
  defaultNetworkPolicy,
  defaultNode,
  defaultSecret,
  defaultService,
} from './others'
import { child, type Obj } from './util'
import { defaultCrd } from '../crd/validate-crd'
import type { CrdObject } from '../crd/types'

export { defaultPullPolicy } from './pod'
export { generateJobSelector } from './workloads'

const BY_KIND: Record<string, (o: Obj) => void> = {
  '/Pod': defaultPod,
  '/PodTemplate': (o) => defaultPodTemplate(child(o, 'template')),
  '/ReplicationController': (o) => defaultPodTemplate(child(child(o, 'spec'), 'template')),
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

export function applyDefaults(res: Pick<ResourceInfo, 'group' | 'kind' | 'schema'> & Partial<Pick<ResourceInfo, 'dynamic'>>, obj: KubeObject, lookup: Lookup = registryLookup): void {
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
