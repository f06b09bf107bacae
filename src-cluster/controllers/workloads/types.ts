// Object types the workload controllers handle: the kubernetes-types shapes, usable wherever the
// client and informers expect a KubeObject.
import type { PodTemplateSpec } from 'kubernetes-types/core/v1'
import type { OwnerReference } from 'kubernetes-types/meta/v1'

export type { OwnerReference, PodTemplateSpec }
