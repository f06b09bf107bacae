// Schema data for the core/v1 policy kinds: LimitRange (per-container/pod/claim defaults and
// bounds) and ResourceQuota (aggregate limits per namespace). Field names and protobuf numbers
// follow kubernetes/api core/v1 at v0.32; the descriptions are our own.
import { enumOf, f, kind, list, map, quantity, ref, string, struct } from './dsl'
import type { Struct } from './dsl'

const C = 'io.k8s.api.core.v1.'

export const structs: Struct[] = [
  kind('', 'v1', 'LimitRange', C + 'LimitRange', 'Per-namespace defaults and bounds for the resources of containers, pods and claims.', {
    spec: f(2, ref(C + 'LimitRangeSpec'), 'The limits enforced in the namespace.'),
  }),
  struct(C + 'LimitRangeSpec', 'The limits of a LimitRange.', {
    limits: f(1, list(ref(C + 'LimitRangeItem'), { listType: 'atomic' }), 'One entry per kind of object limited (Container, Pod, PersistentVolumeClaim).', {
      required: true,
    }),
  }),
  struct(C + 'LimitRangeItem', 'Bounds and defaults for one kind of object.', {
    type: f(1, string, 'What is limited: Container, Pod or PersistentVolumeClaim.', { required: true }),
    max: f(2, map(quantity), 'Largest amount of each resource one object may use.'),
    min: f(3, map(quantity), 'Smallest amount of each resource one object must ask for.'),
    default: f(4, map(quantity), 'Limits given to containers that set none.'),
    defaultRequest: f(5, map(quantity), 'Requests given to containers that set none.'),
    maxLimitRequestRatio: f(6, map(quantity), 'Largest allowed limit divided by request, per resource.'),
  }),
  kind('', 'v1', 'ResourceQuota', C + 'ResourceQuota', 'Aggregate limits on what the objects of one namespace may use and how many there may be.', {
    spec: f(2, ref(C + 'ResourceQuotaSpec'), 'The hard limits and which objects they apply to.'),
    status: f(3, ref(C + 'ResourceQuotaStatus'), 'The limits enforced and what is used now.'),
  }),
  struct(C + 'ResourceQuotaSpec', 'What a quota limits.', {
    hard: f(1, map(quantity), 'Hard limit per resource name, e.g. pods, requests.cpu, count/deployments.apps.'),
    scopes: f(
      2,
      list(enumOf('Terminating', 'NotTerminating', 'BestEffort', 'NotBestEffort', 'PriorityClass', 'CrossNamespacePodAffinity'), { listType: 'atomic' }),
      'Only objects in all these scopes are counted.',
    ),
    scopeSelector: f(3, ref(C + 'ScopeSelector'), 'Only objects matching these scope expressions are counted.'),
  }),
  struct(C + 'ScopeSelector', 'Scope expressions, ANDed.', {
    matchExpressions: f(1, list(ref(C + 'ScopedResourceSelectorRequirement'), { listType: 'atomic' }), 'Scope requirements, all of which must hold.'),
  }),
  struct(C + 'ScopedResourceSelectorRequirement', 'One scope requirement.', {
    scopeName: f(
      1,
      enumOf('Terminating', 'NotTerminating', 'BestEffort', 'NotBestEffort', 'PriorityClass', 'CrossNamespacePodAffinity'),
      'The scope it applies to.',
      { required: true },
    ),
    operator: f(2, enumOf('In', 'NotIn', 'Exists', 'DoesNotExist'), 'In, NotIn, Exists or DoesNotExist.', { required: true }),
    values: f(3, list(string, { listType: 'atomic' }), 'Values for In and NotIn.'),
  }),
  struct(C + 'ResourceQuotaStatus', 'What a quota enforces and what is used.', {
    hard: f(1, map(quantity), 'The limits enforced now (copied from spec.hard by the quota controller).'),
    used: f(2, map(quantity), 'What the namespace uses now, per limited resource.'),
  }),
]
