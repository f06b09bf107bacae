// Semantic validation entry point: schema-required fields plus each kind's rules, and on update
// the immutable fields. Returns field errors for a 422 Invalid answer (empty = valid).
import type { ResourceInfo } from '../resources'
import type { FieldError } from '../errors'
import type { KubeObject } from '../object'
import { fieldErr } from '../errors'
import { registryLookup, type Lookup } from '../schema/walk'
import { checkRequired } from './required'
import { validateMetadata } from './metadata'
import { isDNS1035Label, isDNS1123Label, isDNS1123Subdomain, isPathSegmentName, type NameCheck } from './names'
import { validatePodSpec } from './pod'
import {
  validateCronJob,
  validateDaemonSet,
  validateDeployment,
  validateJob,
  validateReplicaSet,
  validateStatefulSet,
  validateReplicationController,
  validatePodTemplateObject,
} from './workloads'
import { validateService } from './service'
import { validateConfigMap, validateSecret } from './config'
import {
  validateEndpointSlice,
  validateHPA,
  validateIngress,
  validateLease,
  validateNetworkPolicy,
  validateNode,
  validatePDB,
  validatePersistentVolume,
  validatePersistentVolumeClaim,
  validateRole,
  validateRoleBinding,
  validateStorageClass,
} from './others'
import {
  validateImmutableData,
  validateJobUpdate,
  validatePodUpdate,
  validatePVCUpdate,
  validateRoleBindingUpdate,
  validateSecretUpdate,
  validateSelectorUpdate,
  validateServiceUpdate,
  validateStatefulSetUpdate,
} from './update'
import { child, type Obj } from './util'
import { validatePriorityClass, validatePriorityClassUpdate } from './scheduling'
import { validateLimitRange, validateResourceQuota } from './policy'
import { validateEventsV1 } from './events'
import { validateCsr, validateCsrUpdate } from './certificates'
import {
  validateMutatingWebhookConfiguration,
  validateMutatingWebhookConfigurationUpdate,
  validateValidatingAdmissionPolicy,
  validateValidatingAdmissionPolicyBinding,
  validateValidatingWebhookConfiguration,
  validateValidatingWebhookConfigurationUpdate,
} from './admissionregistration'
import { validateCrd, validateCrdUpdate } from '../crd/validate-crd'
import type { CrdObject } from '../crd/types'

export { checkStructure, type StructureResult } from './structural'
export { findDuplicateFields } from './duplicates'

type Rule = (o: Obj) => FieldError[]
type UpdateRule = (o: Obj, old: Obj) => FieldError[]

interface KindRules {
  name?: NameCheck
  validate?: Rule
  /** Rules for new objects only (events.k8s.io's strict create validation). */
  create?: Rule
  update?: UpdateRule
}

const RBAC = 'rbac.authorization.k8s.io'
const RULES: Record<string, KindRules> = {
  '/Pod': { validate: (o) => validatePodSpec(child(o, 'spec'), 'spec'), update: validatePodUpdate },
  '/Service': { name: isDNS1035Label, validate: validateService, update: validateServiceUpdate },
  '/Namespace': { name: isDNS1123Label },
  '/Node': { validate: validateNode },
  '/ConfigMap': { validate: validateConfigMap, update: (o, old) => validateImmutableData(o, old, ['data', 'binaryData']) },
  '/Secret': { validate: validateSecret, update: validateSecretUpdate },
  '/PersistentVolume': { validate: validatePersistentVolume },
  '/PersistentVolumeClaim': { validate: (o) => validatePersistentVolumeClaim(o), update: validatePVCUpdate },
  'apps/Deployment': { validate: validateDeployment, update: validateSelectorUpdate },
  'apps/ReplicaSet': { validate: validateReplicaSet, update: validateSelectorUpdate },
  'apps/DaemonSet': { validate: validateDaemonSet, update: validateSelectorUpdate },
  'apps/StatefulSet': { validate: validateStatefulSet, update: (o, old) => [...validateSelectorUpdate(o, old), ...validateStatefulSetUpdate(o, old)] },
  'batch/Job': { validate: validateJob, update: validateJobUpdate },
  'batch/CronJob': { validate: validateCronJob },
  'networking.k8s.io/Ingress': { validate: validateIngress },
  'networking.k8s.io/NetworkPolicy': { validate: validateNetworkPolicy },
  'storage.k8s.io/StorageClass': { validate: validateStorageClass },
  '/ResourceQuota': { validate: validateResourceQuota },
  '/LimitRange': { validate: validateLimitRange },
  '/ReplicationController': { validate: validateReplicationController },
  '/PodTemplate': { validate: validatePodTemplateObject },
  'scheduling.k8s.io/PriorityClass': { validate: validatePriorityClass, update: validatePriorityClassUpdate },
  'autoscaling/HorizontalPodAutoscaler': { name: isPathSegmentName, validate: validateHPA },
  'policy/PodDisruptionBudget': { validate: validatePDB },
  [`${RBAC}/Role`]: { name: isPathSegmentName, validate: (o) => validateRole(o, false) },
  [`${RBAC}/ClusterRole`]: { name: isPathSegmentName, validate: (o) => validateRole(o, true) },
  [`${RBAC}/RoleBinding`]: { name: isPathSegmentName, validate: (o) => validateRoleBinding(o, false), update: validateRoleBindingUpdate },
  [`${RBAC}/ClusterRoleBinding`]: { name: isPathSegmentName, validate: (o) => validateRoleBinding(o, true), update: validateRoleBindingUpdate },
  'coordination.k8s.io/Lease': { validate: validateLease },
  // Upstream does not care what certificate requests are called (beyond a usable path segment).
  // The name must be VERSION.GROUP ("v1." for core), as upstream's APIService validation.
  'apiregistration.k8s.io/APIService': {
    name: isPathSegmentName,
    validate: (o) => {
      const spec = child(o, 'spec') ?? {}
      const want = `${String(spec.version ?? '')}.${String(spec.group ?? '')}`
      const name = String(child(o, 'metadata')?.name ?? '')
      const errs = name === want ? [] : [fieldErr.invalid('metadata.name', name, `must be \`spec.version+"."+spec.group\`: ${JSON.stringify(want)}`)]
      // As upstream's ValidateAPIService: priorities in range, TLS either verified or skipped.
      const gp = Number(spec.groupPriorityMinimum ?? 0)
      const vp = Number(spec.versionPriority ?? 0)
      if (!(gp > 0)) errs.push(fieldErr.invalid('spec.groupPriorityMinimum', gp, 'must be positive and less than 20000'))
      else if (gp > 20000) errs.push(fieldErr.invalid('spec.groupPriorityMinimum', gp, 'must be positive and less than 20000'))
      if (!(vp > 0)) errs.push(fieldErr.invalid('spec.versionPriority', vp, 'must be positive and less than 1000'))
      else if (vp > 1000) errs.push(fieldErr.invalid('spec.versionPriority', vp, 'must be positive and less than 1000'))
      if (spec.service && spec.insecureSkipTLSVerify === true && spec.caBundle)
        errs.push(fieldErr.invalid('spec.insecureSkipTLSVerify', true, 'may not be true if caBundle is present'))
      return errs
    },
  },
  'certificates.k8s.io/CertificateSigningRequest': { name: isPathSegmentName, validate: validateCsr, update: validateCsrUpdate },
  'discovery.k8s.io/EndpointSlice': { validate: validateEndpointSlice },
  // Strict on create; an update is held to what the stored configuration already met.
  'admissionregistration.k8s.io/ValidatingWebhookConfiguration': {
    create: validateValidatingWebhookConfiguration,
    update: validateValidatingWebhookConfigurationUpdate,
  },
  'admissionregistration.k8s.io/MutatingWebhookConfiguration': {
    create: validateMutatingWebhookConfiguration,
    update: validateMutatingWebhookConfigurationUpdate,
  },
  'admissionregistration.k8s.io/ValidatingAdmissionPolicy': { validate: validateValidatingAdmissionPolicy },
  'admissionregistration.k8s.io/ValidatingAdmissionPolicyBinding': { validate: validateValidatingAdmissionPolicyBinding },
  '/Event': { name: isPathSegmentName },
  'events.k8s.io/Event': { create: validateEventsV1 },
  'apiextensions.k8s.io/CustomResourceDefinition': {
    validate: (o) => validateCrd(o as unknown as CrdObject),
    update: (o, old) => validateCrdUpdate(o as unknown as CrdObject, old as unknown as CrdObject),
  },
}

/** Name syntax for a kind: DNS-1123 subdomain unless the kind says otherwise. */
export function nameCheckFor(res: Pick<ResourceInfo, 'group' | 'kind'>): NameCheck {
  return RULES[`${res.group}/${res.kind}`]?.name ?? isDNS1123Subdomain
}

export function validateObject(
  res: Pick<ResourceInfo, 'group' | 'kind' | 'schema' | 'namespaced' | 'virtual'> & Partial<Pick<ResourceInfo, 'dynamic'>>,
  obj: KubeObject,
  old?: KubeObject,
  lookup: Lookup = registryLookup,
): FieldError[] {
  const rules = RULES[`${res.group}/${res.kind}`] ?? {}
  const errs: FieldError[] = []
  // Review objects (TokenReview, SubjectAccessReview, ...) have no name.
  if (!res.virtual) errs.push(...validateMetadata(obj.metadata, rules.name ?? isDNS1123Subdomain, res.namespaced))
  if (res.dynamic) return dedupe([...errs, ...res.dynamic.validate(obj, old)])
  // Kind rules first: their messages say more than the schema's bare "Required value".
  if (rules.validate) errs.push(...rules.validate(obj))
  if (!old && rules.create) errs.push(...rules.create(obj))
  let schemaKnown = true
  try {
    lookup(res.schema)
  } catch {
    schemaKnown = false
  }
  if (schemaKnown)
    errs.push(
      ...checkRequired(obj, lookup(res.schema), lookup, '', NOT_WALKED_FOR_REQUIRED).filter(
        (e) => !e.field.startsWith('metadata.') && !e.field.startsWith('status.'),
      ),
    )
  if (old && rules.update) errs.push(...rules.update(obj, old))
  return dedupe(errs)
}

/** Required fields inside these are not reported (metadata has its own checks; status is the writer's). */
const NOT_WALKED_FOR_REQUIRED: ReadonlySet<string> = new Set(['metadata', 'status'])

/** The schema walk and the kind rules may report the same problem; keep one of each. */
function dedupe(errs: FieldError[]): FieldError[] {
  const seen = new Set<string>()
  return errs.filter((e) => {
    const key = `${e.type}|${e.field}|${e.detail ?? ''}|${JSON.stringify(e.badValue ?? null)}`
    const plain = `${e.type}|${e.field}`
    if (seen.has(key) || (e.type === 'FieldValueRequired' && seen.has(plain))) return false
    seen.add(key)
    seen.add(plain)
    return true
  })
}
