// Object shapes the NetworkPolicy agent reads: kubernetes-types' NetworkPolicy, Pod and
// Namespace, usable wherever the client and informers expect a KubeObject.
import type { KubeObject } from '../api/errors'
import type { Namespace, Pod } from 'kubernetes-types/core/v1'
import type { NetworkPolicy } from 'kubernetes-types/networking/v1'

export type NetworkPolicyObj = KubeObject & NetworkPolicy
export type PodObj = KubeObject & Pod
export type NamespaceObj = KubeObject & Namespace

export type Protocol = 'TCP' | 'UDP' | 'SCTP'
