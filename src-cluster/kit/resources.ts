// The one table of resource references the cluster components use: the entries of the API
// server's resource table (src-cluster/api/resources.ts) for the built-in resources that
// agents, controllers and the API server's own handlers read and write.
import { findResource, type ResourceInfo } from '../api/resources'
import type { ResourceRef } from '../client/types'

function entry(group: string, version: string, plural: string): ResourceInfo {
  const r = findResource(group, version, plural)
  if (!r) throw new Error(`internal: resource ${group || 'core'}/${version} ${plural} is missing from src-cluster/api/resources.ts`)
  return r
}

export const RES = {
  pods: entry('', 'v1', 'pods'),
  nodes: entry('', 'v1', 'nodes'),
  namespaces: entry('', 'v1', 'namespaces'),
  services: entry('', 'v1', 'services'),
  endpoints: entry('', 'v1', 'endpoints'),
  configmaps: entry('', 'v1', 'configmaps'),
  secrets: entry('', 'v1', 'secrets'),
  serviceaccounts: entry('', 'v1', 'serviceaccounts'),
  pvs: entry('', 'v1', 'persistentvolumes'),
  pvcs: entry('', 'v1', 'persistentvolumeclaims'),
  events: entry('', 'v1', 'events'),
  podtemplates: entry('', 'v1', 'podtemplates'),
  replicationcontrollers: entry('', 'v1', 'replicationcontrollers'),
  resourcequotas: entry('', 'v1', 'resourcequotas'),
  limitranges: entry('', 'v1', 'limitranges'),
  slices: entry('discovery.k8s.io', 'v1', 'endpointslices'),
  leases: entry('coordination.k8s.io', 'v1', 'leases'),
  storageclasses: entry('storage.k8s.io', 'v1', 'storageclasses'),
  deployments: entry('apps', 'v1', 'deployments'),
  replicasets: entry('apps', 'v1', 'replicasets'),
  statefulsets: entry('apps', 'v1', 'statefulsets'),
  daemonsets: entry('apps', 'v1', 'daemonsets'),
  controllerrevisions: entry('apps', 'v1', 'controllerrevisions'),
  jobs: entry('batch', 'v1', 'jobs'),
  cronjobs: entry('batch', 'v1', 'cronjobs'),
  hpas: entry('autoscaling', 'v2', 'horizontalpodautoscalers'),
  pdbs: entry('policy', 'v1', 'poddisruptionbudgets'),
  ingresses: entry('networking.k8s.io', 'v1', 'ingresses'),
  ingressclasses: entry('networking.k8s.io', 'v1', 'ingressclasses'),
  networkpolicies: entry('networking.k8s.io', 'v1', 'networkpolicies'),
  priorityclasses: entry('scheduling.k8s.io', 'v1', 'priorityclasses'),
  crds: entry('apiextensions.k8s.io', 'v1', 'customresourcedefinitions'),
} satisfies Record<string, ResourceRef>

/** The namespace node heartbeats (Leases) live in. */
export const NODE_LEASE_NAMESPACE = 'kube-node-lease'

/** The provisioner of KubeLab's local-path volumes (the `standard` StorageClass's). */
export const LOCAL_PATH_PROVISIONER = 'kubelab.dev/local-path'
/** Upstream's annotation naming the provisioner that made a PersistentVolume. */
export const PROVISIONED_BY_ANNOTATION = 'pv.kubernetes.io/provisioned-by'
