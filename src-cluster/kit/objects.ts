// Typed object aliases: a kubernetes-types object that is also a KubeObject (what informers,
// the client and the API server's registry carry). One alias per kind, for every component.
import type { KubeObject } from '../api/object'
import type {
  ConfigMap,
  Endpoints,
  Namespace,
  Node,
  PersistentVolume,
  PersistentVolumeClaim,
  Pod,
  Secret,
  Service,
  ServiceAccount,
} from 'kubernetes-types/core/v1'
import type { EndpointSlice } from 'kubernetes-types/discovery/v1'
import type { StorageClass } from 'kubernetes-types/storage/v1'
import type { Lease } from 'kubernetes-types/coordination/v1'
import type { ControllerRevision, DaemonSet, Deployment, ReplicaSet, StatefulSet } from 'kubernetes-types/apps/v1'
import type { CronJob, Job } from 'kubernetes-types/batch/v1'
import type { Ingress, IngressClass, NetworkPolicy } from 'kubernetes-types/networking/v1'
import type { PodDisruptionBudget } from 'kubernetes-types/policy/v1'
import type { HorizontalPodAutoscaler } from 'kubernetes-types/autoscaling/v2'

export type Obj<T> = T & KubeObject

export type PodObj = Obj<Pod>
export type NodeObj = Obj<Node>
export type NamespaceObj = Obj<Namespace>
export type ServiceObj = Obj<Service>
export type EndpointsObj = Obj<Endpoints>
export type SliceObj = Obj<EndpointSlice>
export type ConfigMapObj = Obj<ConfigMap>
export type SecretObj = Obj<Secret>
export type ServiceAccountObj = Obj<ServiceAccount>
export type PVObj = Obj<PersistentVolume>
export type PVCObj = Obj<PersistentVolumeClaim>
export type ClassObj = Obj<StorageClass>
export type LeaseObj = Obj<Lease>
export type DeploymentObj = Obj<Deployment>
export type ReplicaSetObj = Obj<ReplicaSet>
export type StatefulSetObj = Obj<StatefulSet>
export type DaemonSetObj = Obj<DaemonSet>
export type RevisionObj = Obj<ControllerRevision>
export type JobObj = Obj<Job>
export type CronJobObj = Obj<CronJob>
export type IngressObj = Obj<Ingress>
export type IngressClassObj = Obj<IngressClass>
export type NetworkPolicyObj = Obj<NetworkPolicy>
export type PdbObj = Obj<PodDisruptionBudget>
export type HpaObj = Obj<HorizontalPodAutoscaler>
