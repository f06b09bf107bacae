// Update rules: which fields may not change once the object exists (upstream ValidateXUpdate).
import { fieldErr, type FieldError } from '../errors'
import { cloneJson } from '../schema/walk'
import { child, items, jsonEqual, num, type Obj } from './util'

const POD_UPDATE_MSG =
  'pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)'

function immutable(errs: FieldError[], path: string, a: unknown, b: unknown): void {
  if (!jsonEqual(a, b)) errs.push(fieldErr.invalid(path, a ?? null, 'field is immutable'))
}

export function validatePodUpdate(pod: Obj, old: Obj): FieldError[] {
  // An unchanged spec (every status write, most metadata updates) needs no copies to say so.
  if (jsonEqual(child(pod, 'spec') ?? {}, child(old, 'spec') ?? {})) return []
  const spec = cloneJson(child(pod, 'spec') ?? {})
  const oldSpec = cloneJson(child(old, 'spec') ?? {})
  // Mask what may change, then require the rest to be equal.
  for (const key of ['containers', 'initContainers']) {
    const now = items(spec, key)
    const before = items(oldSpec, key)
    now.forEach((c, i) => {
      if (before[i]) c.image = before[i].image
    })
  }
  const ad = num(spec, 'activeDeadlineSeconds')
  const oldAd = num(oldSpec, 'activeDeadlineSeconds')
  // activeDeadlineSeconds may be set or lowered, never raised or removed.
  if (oldAd !== undefined && (ad === undefined || ad > oldAd)) {
    return [fieldErr.invalid('spec.activeDeadlineSeconds', ad ?? null, 'must be less than or equal to previous value')]
  }
  spec.activeDeadlineSeconds = oldSpec.activeDeadlineSeconds
  const oldTol = items(oldSpec, 'tolerations')
  const newTol = items(spec, 'tolerations')
  if (oldTol.every((t) => newTol.some((n) => jsonEqual(n, t)))) spec.tolerations = oldSpec.tolerations
  const grace = num(oldSpec, 'terminationGracePeriodSeconds')
  if (grace !== undefined && grace < 0 && num(spec, 'terminationGracePeriodSeconds') === 1) spec.terminationGracePeriodSeconds = grace
  // The scheduler binds through the binding subresource; a bound nodeName may be kept as is.
  if (!oldSpec.nodeName && spec.nodeName) oldSpec.nodeName = spec.nodeName
  if (!jsonEqual(spec, oldSpec)) return [fieldErr.forbidden('spec', POD_UPDATE_MSG)]
  return []
}

export function validateSelectorUpdate(obj: Obj, old: Obj): FieldError[] {
  const errs: FieldError[] = []
  immutable(errs, 'spec.selector', child(child(obj, 'spec'), 'selector'), child(child(old, 'spec'), 'selector'))
  return errs
}

const STS_MUTABLE = ['replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy', 'minReadySeconds', 'revisionHistoryLimit']

export function validateStatefulSetUpdate(obj: Obj, old: Obj): FieldError[] {
  const a = { ...(child(obj, 'spec') ?? {}) }
  const b = { ...(child(old, 'spec') ?? {}) }
  for (const k of STS_MUTABLE) {
    delete a[k]
    delete b[k]
  }
  if (!jsonEqual(a, b)) {
    return [
      fieldErr.forbidden(
        'spec',
        "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden",
      ),
    ]
  }
  return []
}

export function validateJobUpdate(obj: Obj, old: Obj): FieldError[] {
  const errs = validateSelectorUpdate(obj, old)
  const spec = child(obj, 'spec')
  const oldSpec = child(old, 'spec')
  // Upstream lets a suspended Job that never started change its template's scheduling fields; we keep it whole.
  immutable(errs, 'spec.template', child(spec, 'template'), child(oldSpec, 'template'))
  immutable(errs, 'spec.completionMode', spec?.completionMode, oldSpec?.completionMode)
  return errs
}

export function validateServiceUpdate(obj: Obj, old: Obj): FieldError[] {
  const errs: FieldError[] = []
  const spec = child(obj, 'spec')
  const oldSpec = child(old, 'spec')
  const oldIP = oldSpec?.clusterIP
  // Changing to or from ExternalName releases or allocates the IP; otherwise it is fixed once set.
  if (oldIP && spec?.type !== 'ExternalName' && oldSpec?.type !== 'ExternalName') {
    if (spec?.clusterIP !== undefined && spec.clusterIP !== oldIP) errs.push(fieldErr.invalid('spec.clusterIPs[0]', spec.clusterIP, 'may not change once set'))
    const ips = spec?.clusterIPs
    if (Array.isArray(ips) && Array.isArray(oldSpec?.clusterIPs) && ips[0] !== undefined && ips[0] !== (oldSpec.clusterIPs as unknown[])[0]) {
      errs.push(fieldErr.invalid('spec.clusterIPs[0]', ips[0], 'may not change once set'))
    }
  }
  return errs
}

export function validatePVCUpdate(obj: Obj, old: Obj): FieldError[] {
  const a = cloneJson(child(obj, 'spec') ?? {})
  const b = cloneJson(child(old, 'spec') ?? {})
  for (const s of [a, b]) {
    const req = child(child(s, 'resources'), 'requests')
    if (req) delete req.storage
    delete s.volumeAttributesClassName
    // The binder fills volumeName once; setting it from empty is allowed.
  }
  if (!b.volumeName) delete a.volumeName
  if (!jsonEqual(a, b)) {
    return [fieldErr.forbidden('spec', 'spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims')]
  }
  return []
}

export function validateImmutableData(obj: Obj, old: Obj, keys: string[]): FieldError[] {
  const errs: FieldError[] = []
  if (old.immutable !== true) return errs
  if (obj.immutable !== true) errs.push(fieldErr.forbidden('immutable', 'field is immutable when `immutable` is set'))
  for (const k of keys) {
    if (!jsonEqual(obj[k] ?? {}, old[k] ?? {})) errs.push(fieldErr.forbidden(k, 'field is immutable when `immutable` is set'))
  }
  return errs
}

export function validateSecretUpdate(obj: Obj, old: Obj): FieldError[] {
  const errs = validateImmutableData(obj, old, ['data'])
  if ((obj.type ?? 'Opaque') !== (old.type ?? 'Opaque')) errs.push(fieldErr.invalid('type', obj.type ?? 'Opaque', 'field is immutable'))
  return errs
}

export function validateRoleBindingUpdate(obj: Obj, old: Obj): FieldError[] {
  if (!jsonEqual(obj.roleRef, old.roleRef)) return [fieldErr.invalid('roleRef', obj.roleRef, 'cannot change roleRef')]
  return []
}
