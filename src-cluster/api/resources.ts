// Every resource the API server serves: where it lives (group, version, plural), how kubectl
// names it (short names, categories), and which subresources it has. Discovery, routing,
// storage keys and OpenAPI paths all read this one table, plus the resources registered at
// run time (CustomResourceDefinitions) through `setDynamicResources`.
import type { FieldError } from './errors'
import type { KubeObject } from './object'
import type { Printer } from './tables/types'
import type { Struct } from './schema/dsl'

export interface SubresourceInfo {
  readonly name: string // "status", "scale", "binding", "eviction", "log", "exec", ...
  /** Kind of the subresource body; defaults to the parent kind. */
  readonly kind?: { readonly group: string; readonly version: string; readonly kind: string }
  readonly verbs: readonly string[]
}

export interface ResourceInfo {
  readonly group: string // "" for core
  readonly version: string
  readonly kind: string
  readonly plural: string
  readonly singular: string
  readonly namespaced: boolean
  readonly shortNames?: readonly string[]
  readonly categories?: readonly string[]
  readonly subresources?: readonly SubresourceInfo[]
  /** Schema struct name, e.g. "io.k8s.api.apps.v1.Deployment". */
  readonly schema: string
  /** Verbs on the main resource; defaults to the full set. */
  readonly verbs?: readonly string[]
  /** Kinds that are only created and answered (TokenRequest, reviews): never stored. */
  readonly virtual?: boolean
  /**
   * Stored with another resource's objects (its group and plural name the key prefix), converted
   * on the way in and out: events.k8s.io Events are core Events, as upstream stores them.
   */
  readonly storedIn?: { readonly group: string; readonly plural: string }
  /** Resources registered at run time carry their own schema behaviour instead of a struct. */
  readonly dynamic?: DynamicBehaviour
}

/**
 * What a resource registered at run time (a custom resource) brings instead of a schema struct:
 * the write pipeline, Tables, OpenAPI and conversion ask it rather than the static schema.
 */
export interface DynamicBehaviour {
  /** Who registered it (e.g. "crd:foos.example.com"). */
  readonly owner: string
  /** The version objects are stored in ("None" conversion rewrites apiVersion only). */
  readonly storageVersion: string
  /** Drop fields the schema does not know; the dropped paths become warnings or Strict errors. */
  prune(obj: KubeObject): { object: KubeObject; unknownFields: string[] }
  applyDefaults(obj: KubeObject): void
  /** Schema validation (types, enum, bounds, required...) with upstream's messages. */
  validate(obj: KubeObject, old?: KubeObject): FieldError[]
  readonly printer: Printer
  /** OpenAPI v3 component schemas (kind and list) keyed by definition name, and the kind's name. */
  openapi(): { kindSchema: string; listSchema: string; schemas: Record<string, unknown> } | undefined
  /** The scale subresource's JSON paths, when the resource has one. */
  readonly scale?: { readonly specReplicasPath: string; readonly statusReplicasPath: string; readonly labelSelectorPath?: string }
  /** Creates refused with this message (the definition is being deleted). */
  readonly refuseCreate?: string
  /** The schema as structs (kind struct = `schema`), for patches and apply; falls back to built-in structs. */
  lookup(name: string): Struct
  /** A deprecated version: every request gets this warning. */
  readonly deprecationWarning?: string
}

export const ALL_VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'] as const

const STATUS: SubresourceInfo = { name: 'status', verbs: ['get', 'patch', 'update'] }
/** HTTP passed through to the kubelet, a pod or a Service endpoint (kind: upstream's Node/Pod/ServiceProxyOptions). */
const proxy = (kind: string): SubresourceInfo => ({
  name: 'proxy',
  kind: { group: '', version: 'v1', kind },
  verbs: ['create', 'delete', 'get', 'patch', 'update'],
})
const SCALE: SubresourceInfo = {
  name: 'scale',
  kind: { group: 'autoscaling', version: 'v1', kind: 'Scale' },
  verbs: ['get', 'patch', 'update'],
}

function r(
  group: string,
  version: string,
  kind: string,
  plural: string,
  namespaced: boolean,
  schemaPkg: string,
  extra: Partial<ResourceInfo> = {},
): ResourceInfo {
  return {
    group,
    version,
    kind,
    plural,
    singular: kind.toLowerCase(),
    namespaced,
    schema: `io.k8s.api.${schemaPkg}.${kind}`,
    ...extra,
  }
}

export const RESOURCES: readonly ResourceInfo[] = [
  // core/v1
  r('', 'v1', 'Namespace', 'namespaces', false, 'core.v1', {
    shortNames: ['ns'],
    subresources: [STATUS, { name: 'finalize', verbs: ['update'] }],
    verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
  }),
  r('', 'v1', 'Node', 'nodes', false, 'core.v1', { shortNames: ['no'], subresources: [STATUS, proxy('NodeProxyOptions')] }),
  r('', 'v1', 'Pod', 'pods', true, 'core.v1', {
    shortNames: ['po'],
    categories: ['all'],
    subresources: [
      STATUS,
      { name: 'binding', kind: { group: '', version: 'v1', kind: 'Binding' }, verbs: ['create'] },
      { name: 'eviction', kind: { group: 'policy', version: 'v1', kind: 'Eviction' }, verbs: ['create'] },
      // Streamed from the pod's kubelet (simulated nodes have none: these answer with the reason).
      { name: 'log', verbs: ['get'] },
      { name: 'exec', kind: { group: '', version: 'v1', kind: 'PodExecOptions' }, verbs: ['create', 'get'] },
      { name: 'attach', kind: { group: '', version: 'v1', kind: 'PodAttachOptions' }, verbs: ['create', 'get'] },
      { name: 'portforward', kind: { group: '', version: 'v1', kind: 'PodPortForwardOptions' }, verbs: ['create', 'get'] },
      proxy('PodProxyOptions'),
    ],
  }),
  r('', 'v1', 'Binding', 'bindings', true, 'core.v1', { verbs: ['create'], virtual: true }),
  r('', 'v1', 'Service', 'services', true, 'core.v1', { shortNames: ['svc'], categories: ['all'], subresources: [STATUS, proxy('ServiceProxyOptions')] }),
  r('', 'v1', 'Endpoints', 'endpoints', true, 'core.v1', { shortNames: ['ep'], singular: 'endpoints' }),
  r('', 'v1', 'ConfigMap', 'configmaps', true, 'core.v1', { shortNames: ['cm'] }),
  r('', 'v1', 'Secret', 'secrets', true, 'core.v1'),
  r('', 'v1', 'ServiceAccount', 'serviceaccounts', true, 'core.v1', {
    shortNames: ['sa'],
    subresources: [{ name: 'token', kind: { group: 'authentication.k8s.io', version: 'v1', kind: 'TokenRequest' }, verbs: ['create'] }],
  }),
  r('', 'v1', 'Event', 'events', true, 'core.v1', { shortNames: ['ev'] }),
  r('', 'v1', 'PersistentVolume', 'persistentvolumes', false, 'core.v1', { shortNames: ['pv'], subresources: [STATUS] }),
  r('', 'v1', 'PersistentVolumeClaim', 'persistentvolumeclaims', true, 'core.v1', { shortNames: ['pvc'], subresources: [STATUS] }),
  r('', 'v1', 'ResourceQuota', 'resourcequotas', true, 'core.v1', { shortNames: ['quota'], subresources: [STATUS] }),
  r('', 'v1', 'LimitRange', 'limitranges', true, 'core.v1', { shortNames: ['limits'] }),
  r('', 'v1', 'ReplicationController', 'replicationcontrollers', true, 'core.v1', { shortNames: ['rc'], categories: ['all'], subresources: [STATUS, SCALE] }),
  r('', 'v1', 'PodTemplate', 'podtemplates', true, 'core.v1'),
  // apps/v1
  r('apps', 'v1', 'Deployment', 'deployments', true, 'apps.v1', { shortNames: ['deploy'], categories: ['all'], subresources: [STATUS, SCALE] }),
  r('apps', 'v1', 'ReplicaSet', 'replicasets', true, 'apps.v1', { shortNames: ['rs'], categories: ['all'], subresources: [STATUS, SCALE] }),
  r('apps', 'v1', 'DaemonSet', 'daemonsets', true, 'apps.v1', { shortNames: ['ds'], categories: ['all'], subresources: [STATUS] }),
  r('apps', 'v1', 'StatefulSet', 'statefulsets', true, 'apps.v1', { shortNames: ['sts'], categories: ['all'], subresources: [STATUS, SCALE] }),
  r('apps', 'v1', 'ControllerRevision', 'controllerrevisions', true, 'apps.v1'),
  // batch/v1
  r('batch', 'v1', 'Job', 'jobs', true, 'batch.v1', { categories: ['all'], subresources: [STATUS] }),
  r('batch', 'v1', 'CronJob', 'cronjobs', true, 'batch.v1', { shortNames: ['cj'], categories: ['all'], subresources: [STATUS] }),
  // discovery.k8s.io/v1
  r('discovery.k8s.io', 'v1', 'EndpointSlice', 'endpointslices', true, 'discovery.v1'),
  // events.k8s.io/v1: the core Events in their newer shape (note, regarding, reportingController, deprecated*)
  r('events.k8s.io', 'v1', 'Event', 'events', true, 'events.v1', { shortNames: ['ev'], storedIn: { group: '', plural: 'events' } }),
  // coordination.k8s.io/v1
  r('coordination.k8s.io', 'v1', 'Lease', 'leases', true, 'coordination.v1'),
  // rbac.authorization.k8s.io/v1
  r('rbac.authorization.k8s.io', 'v1', 'Role', 'roles', true, 'rbac.v1'),
  r('rbac.authorization.k8s.io', 'v1', 'ClusterRole', 'clusterroles', false, 'rbac.v1'),
  r('rbac.authorization.k8s.io', 'v1', 'RoleBinding', 'rolebindings', true, 'rbac.v1'),
  r('rbac.authorization.k8s.io', 'v1', 'ClusterRoleBinding', 'clusterrolebindings', false, 'rbac.v1'),
  // networking.k8s.io/v1
  r('networking.k8s.io', 'v1', 'Ingress', 'ingresses', true, 'networking.v1', { shortNames: ['ing'], subresources: [STATUS] }),
  r('networking.k8s.io', 'v1', 'IngressClass', 'ingressclasses', false, 'networking.v1'),
  r('networking.k8s.io', 'v1', 'NetworkPolicy', 'networkpolicies', true, 'networking.v1', { shortNames: ['netpol'] }),
  // storage.k8s.io/v1
  r('storage.k8s.io', 'v1', 'StorageClass', 'storageclasses', false, 'storage.v1', { shortNames: ['sc'] }),
  // autoscaling/v2
  r('autoscaling', 'v2', 'HorizontalPodAutoscaler', 'horizontalpodautoscalers', true, 'autoscaling.v2', {
    shortNames: ['hpa'],
    categories: ['all'],
    subresources: [STATUS],
  }),
  // autoscaling/v1 (what `kubectl autoscale` writes): the same objects, converted from v2.
  r('autoscaling', 'v1', 'HorizontalPodAutoscaler', 'horizontalpodautoscalers', true, 'autoscaling.v1', {
    shortNames: ['hpa'],
    categories: ['all'],
    subresources: [STATUS],
  }),
  // scheduling.k8s.io/v1
  r('scheduling.k8s.io', 'v1', 'PriorityClass', 'priorityclasses', false, 'scheduling.v1', { shortNames: ['pc'] }),
  // certificates.k8s.io/v1: approval is its own subresource (and RBAC verb), issuing goes through status
  r('certificates.k8s.io', 'v1', 'CertificateSigningRequest', 'certificatesigningrequests', false, 'certificates.v1', {
    shortNames: ['csr'],
    subresources: [STATUS, { name: 'approval', verbs: ['get', 'patch', 'update'] }],
  }),
  // policy/v1
  r('policy', 'v1', 'PodDisruptionBudget', 'poddisruptionbudgets', true, 'policy.v1', { shortNames: ['pdb'], subresources: [STATUS] }),
  // apiextensions.k8s.io/v1: CustomResourceDefinitions (their resources are registered at run time)
  r('apiextensions.k8s.io', 'v1', 'CustomResourceDefinition', 'customresourcedefinitions', false, 'apiextensions.v1', {
    shortNames: ['crd', 'crds'],
    categories: ['api-extensions'],
    subresources: [STATUS],
    schema: 'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.CustomResourceDefinition',
  }),
  // apiregistration.k8s.io/v1: one Local APIService per served group/version (written by the
  // API server, read-only for clients), and clients' Service-backed ones (aggregation).
  r('apiregistration.k8s.io', 'v1', 'APIService', 'apiservices', false, 'apiregistration.v1', {
    categories: ['api-extensions'],
    subresources: [STATUS],
    verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
    schema: 'io.k8s.kube-aggregator.pkg.apis.apiregistration.v1.APIService',
  }),
  // admissionregistration.k8s.io/v1: the webhooks the API server calls during admission
  r('admissionregistration.k8s.io', 'v1', 'MutatingWebhookConfiguration', 'mutatingwebhookconfigurations', false, 'admissionregistration.v1', {
    categories: ['api-extensions'],
  }),
  r('admissionregistration.k8s.io', 'v1', 'ValidatingWebhookConfiguration', 'validatingwebhookconfigurations', false, 'admissionregistration.v1', {
    categories: ['api-extensions'],
  }),
  r('admissionregistration.k8s.io', 'v1', 'ValidatingAdmissionPolicy', 'validatingadmissionpolicies', false, 'admissionregistration.v1', {
    categories: ['api-extensions'],
    subresources: [STATUS],
  }),
  r('admissionregistration.k8s.io', 'v1', 'ValidatingAdmissionPolicyBinding', 'validatingadmissionpolicybindings', false, 'admissionregistration.v1', {
    categories: ['api-extensions'],
  }),
  // authentication / authorization: created and answered, never stored
  r('authentication.k8s.io', 'v1', 'TokenReview', 'tokenreviews', false, 'authentication.v1', { verbs: ['create'], virtual: true }),
  r('authentication.k8s.io', 'v1', 'SelfSubjectReview', 'selfsubjectreviews', false, 'authentication.v1', { verbs: ['create'], virtual: true }),
  r('authorization.k8s.io', 'v1', 'SelfSubjectAccessReview', 'selfsubjectaccessreviews', false, 'authorization.v1', { verbs: ['create'], virtual: true }),
  r('authorization.k8s.io', 'v1', 'SubjectAccessReview', 'subjectaccessreviews', false, 'authorization.v1', { verbs: ['create'], virtual: true }),
  r('authorization.k8s.io', 'v1', 'LocalSubjectAccessReview', 'localsubjectaccessreviews', true, 'authorization.v1', { verbs: ['create'], virtual: true }),
  r('authorization.k8s.io', 'v1', 'SelfSubjectRulesReview', 'selfsubjectrulesreviews', false, 'authorization.v1', { verbs: ['create'], virtual: true }),
]

// ---- Resources registered at run time, by owner. Readers call allResources(). ----

const dynamic = new Map<string, readonly ResourceInfo[]>()
let dynamicFlat: readonly ResourceInfo[] = []
let generation = 0
const listeners = new Set<() => void>()

/** Replace what `owner` serves (an empty list removes it). Listeners hear about every change. */
export function setDynamicResources(owner: string, list: readonly ResourceInfo[]): void {
  if (list.length) dynamic.set(owner, list)
  else if (!dynamic.delete(owner)) return
  dynamicFlat = [...dynamic.values()].flat()
  generation++
  for (const l of listeners) l()
}

/** Dynamic resources only (custom resources). */
export function dynamicResources(): readonly ResourceInfo[] {
  return dynamicFlat
}

/** Built-in resources, then the dynamic ones. */
export function allResources(): readonly ResourceInfo[] {
  return dynamicFlat.length ? [...RESOURCES, ...dynamicFlat] : RESOURCES
}

/** Increases whenever the dynamic resources change (caches key on it). */
export function resourcesGeneration(): number {
  return generation
}

export function onResourcesChanged(listener: () => void): () => void {
  listeners.add(listener)
  return () => listeners.delete(listener)
}

/** Group versions in the order discovery lists them (core first, then as upstream orders them). */
export function groupVersions(): { group: string; version: string }[] {
  const seen = new Set<string>()
  const out: { group: string; version: string }[] = []
  for (const res of allResources()) {
    const k = `${res.group}/${res.version}`
    if (!seen.has(k)) {
      seen.add(k)
      out.push({ group: res.group, version: res.version })
    }
  }
  return out
}

export function apiVersionOf(res: Pick<ResourceInfo, 'group' | 'version'>): string {
  return res.group ? `${res.group}/${res.version}` : res.version
}

export function findResource(group: string, version: string, plural: string): ResourceInfo | undefined {
  return allResources().find((x) => x.group === group && x.version === version && x.plural === plural)
}

export function findByKind(apiVersion: string, kind: string): ResourceInfo | undefined {
  return allResources().find((x) => apiVersionOf(x) === apiVersion && x.kind === kind)
}
