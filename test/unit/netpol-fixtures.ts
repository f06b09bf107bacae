// Object builders shared by the netpol unit tests (not a test file itself).
import type { NetworkPolicySpec } from 'kubernetes-types/networking/v1'
import type { NamespaceObj, NetworkPolicyObj, PodObj } from '../../src-cluster/kit/objects'

export interface PodOpts {
  readonly labels?: Record<string, string>
  readonly ip?: string
  readonly node?: string
  readonly ports?: { name?: string; containerPort: number; protocol?: string }[]
  readonly hostNetwork?: boolean
  readonly phase?: string
}

export function pod(ref: string, o: PodOpts = {}): PodObj {
  const [namespace, name] = ref.split('/') as [string, string]
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { namespace, name, labels: o.labels ?? {} },
    spec: { nodeName: o.node ?? 'node-a', hostNetwork: o.hostNetwork, containers: [{ name: 'c', image: 'x', ports: o.ports }] },
    status: { phase: o.phase ?? 'Running', ...(o.ip ? { podIP: o.ip, podIPs: [{ ip: o.ip }] } : {}) },
  }
}

export function ns(name: string, labels: Record<string, string> = {}): NamespaceObj {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { 'kubernetes.io/metadata.name': name, ...labels } } }
}

export function policy(ref: string, spec: Partial<NetworkPolicySpec>): NetworkPolicyObj {
  const [namespace, name] = ref.split('/') as [string, string]
  return { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { namespace, name }, spec: { podSelector: {}, ...spec } }
}
