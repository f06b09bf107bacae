// The resources the kubelet reads and writes, from the shared resource table.
import { findResource } from '../api/resources'
import type { ResourceRef } from '../client/types'

function ref(group: string, version: string, plural: string): ResourceRef {
  const r = findResource(group, version, plural)
  if (!r) throw new Error(`internal: resource ${group || 'core'}/${version} ${plural} is missing from RESOURCES`)
  return r
}

export const PODS = ref('', 'v1', 'pods')
export const NODES = ref('', 'v1', 'nodes')
export const CONFIGMAPS = ref('', 'v1', 'configmaps')
export const SECRETS = ref('', 'v1', 'secrets')
export const PVCS = ref('', 'v1', 'persistentvolumeclaims')
export const SERVICES = ref('', 'v1', 'services')
export const PVS = ref('', 'v1', 'persistentvolumes')
export const LEASES = ref('coordination.k8s.io', 'v1', 'leases')
export const NODE_LEASE_NAMESPACE = 'kube-node-lease'
