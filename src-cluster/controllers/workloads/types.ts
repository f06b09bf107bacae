// Object types the workload controllers handle: the kubernetes-types shapes, usable wherever the
// client and informers expect a KubeObject.
import type { KubeObject } from '../../api/errors'
import type { ControllerRevision, DaemonSet, Deployment, ReplicaSet, StatefulSet } from 'kubernetes-types/apps/v1'
import type { Node, PersistentVolumeClaim, Pod, PodTemplateSpec } from 'kubernetes-types/core/v1'
import type { OwnerReference } from 'kubernetes-types/meta/v1'

export type PodObj = KubeObject & Pod
export type NodeObj = KubeObject & Node
export type PvcObj = KubeObject & PersistentVolumeClaim
export type ReplicaSetObj = KubeObject & ReplicaSet
export type DeploymentObj = KubeObject & Deployment
export type DaemonSetObj = KubeObject & DaemonSet
export type StatefulSetObj = KubeObject & StatefulSet
export type RevisionObj = KubeObject & ControllerRevision
export type { OwnerReference, PodTemplateSpec }
