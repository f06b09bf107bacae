// Printers for RBAC bindings, storage classes and leases.

import type { Lease } from 'kubernetes-types/coordination/v1'
import type { ClusterRoleBinding, RoleBinding, Subject } from 'kubernetes-types/rbac/v1'
import type { StorageClass } from 'kubernetes-types/storage/v1'
import type { KubeObject } from '../object'
import { AGE_COLUMN, NAME_COLUMN, ageOf, col, formatLabelSelector, nameOf } from './format'
import { humanDuration } from '../age'
import type { Printer } from './types'

const as = <T>(obj: KubeObject): T => obj as unknown as T

/** Users, groups and "namespace/name" service accounts, each joined by ", ". */
function subjectCells(subjects: Subject[] | undefined): [string, string, string] {
  const users: string[] = []
  const groups: string[] = []
  const sas: string[] = []
  for (const s of subjects ?? []) {
    if (s.kind === 'ServiceAccount') sas.push(`${s.namespace ?? ''}/${s.name}`)
    else if (s.kind === 'User') users.push(s.name)
    else if (s.kind === 'Group') groups.push(s.name)
  }
  return [users.join(', '), groups.join(', '), sas.join(', ')]
}

function bindingPrinter(scope: string): Printer {
  return {
    columns: [
      NAME_COLUMN,
      col('Role', 'string', 'The role granted, as Kind/name.'),
      AGE_COLUMN,
      col('Users', 'string', `Users in the ${scope}.`, 1),
      col('Groups', 'string', `Groups in the ${scope}.`, 1),
      col('ServiceAccounts', 'string', `Service accounts in the ${scope}.`, 1),
    ],
    row(obj, now) {
      const b = as<RoleBinding | ClusterRoleBinding>(obj)
      return { cells: [nameOf(obj), `${b.roleRef?.kind ?? ''}/${b.roleRef?.name ?? ''}`, ageOf(obj, now), ...subjectCells(b.subjects)] }
    },
  }
}

export const roleBindingPrinter = bindingPrinter('roleBinding')
export const clusterRoleBindingPrinter = bindingPrinter('clusterRoleBinding')

const DEFAULT_CLASS_ANNOTATIONS = ['storageclass.kubernetes.io/is-default-class', 'storageclass.beta.kubernetes.io/is-default-class']

export const storageClassPrinter: Printer = {
  columns: [
    NAME_COLUMN,
    col('Provisioner', 'string', 'Volume plugin that provisions volumes of this class.'),
    col('ReclaimPolicy', 'string', 'Reclaim policy of volumes provisioned for this class.'),
    col('VolumeBindingMode', 'string', 'When volumes are bound: Immediate or WaitForFirstConsumer.'),
    col('AllowVolumeExpansion', 'string', 'Whether claims of this class may grow.'),
    AGE_COLUMN,
  ],
  row(obj, now) {
    const sc = as<StorageClass>(obj)
    const isDefault = DEFAULT_CLASS_ANNOTATIONS.some((a) => sc.metadata?.annotations?.[a] === 'true')
    return {
      cells: [
        nameOf(obj) + (isDefault ? ' (default)' : ''),
        sc.provisioner ?? '',
        sc.reclaimPolicy ?? 'Delete',
        sc.volumeBindingMode ?? 'Immediate',
        sc.allowVolumeExpansion ?? false,
        ageOf(obj, now),
      ],
    }
  },
}

export const leasePrinter: Printer = {
  columns: [NAME_COLUMN, col('Holder', 'string', 'Identity of the current lease holder.'), AGE_COLUMN],
  row: (obj, now) => ({ cells: [nameOf(obj), as<Lease>(obj).spec?.holderIdentity ?? '', ageOf(obj, now)] }),
}

/** PriorityClasses: upstream's Name, Value, Global-Default, Age, PreemptionPolicy. */
export const priorityClassPrinter: Printer = {
  columns: [
    NAME_COLUMN,
    col('Value', 'integer', 'The priority pods of this class get.'),
    col('Global-Default', 'boolean', 'Whether pods without a class get this one.'),
    AGE_COLUMN,
    col('PreemptionPolicy', 'string', 'Whether pods of this class may preempt lower-priority pods.'),
  ],
  row(obj, now) {
    const pc = obj as { value?: number; globalDefault?: boolean; preemptionPolicy?: string }
    return { cells: [nameOf(obj), pc.value ?? 0, pc.globalDefault === true, ageOf(obj, now), pc.preemptionPolicy ?? ''] }
  },
}

/** Upstream's CSR condition summary: Pending/Approved/Denied, then ",Failed" and ",Issued". */
export function csrCondition(obj: KubeObject): string {
  const st = (obj.status ?? {}) as { conditions?: { type?: string }[]; certificate?: string }
  const types = new Set((st.conditions ?? []).map((c) => c.type))
  let s = types.has('Denied') ? 'Denied' : types.has('Approved') ? 'Approved' : 'Pending'
  if (types.has('Failed')) s += ',Failed'
  if (st.certificate) s += ',Issued'
  return s
}

/** CertificateSigningRequests: upstream's Name, Age, SignerName, Requestor, RequestedDuration, Condition. */
export const csrPrinter: Printer = {
  columns: [
    NAME_COLUMN,
    AGE_COLUMN,
    col('SignerName', 'string', 'The signer asked to sign the request.'),
    col('Requestor', 'string', 'Who created the request.'),
    col('RequestedDuration', 'string', 'The certificate lifetime asked for.'),
    col('Condition', 'string', 'Whether the request is pending, approved or denied, failed, and issued.'),
  ],
  row(obj, now) {
    const spec = (obj.spec ?? {}) as { signerName?: string; username?: string; expirationSeconds?: number }
    const requested = typeof spec.expirationSeconds === 'number' ? humanDuration(spec.expirationSeconds * 1000) : '<none>'
    return { cells: [nameOf(obj), ageOf(obj, now), spec.signerName || '<none>', spec.username ?? '', requested, csrCondition(obj)] }
  },
}

/** APIServices: kube-aggregator's Name, Service ("Local" or namespace/name), Available, Age. */
export const apiServicePrinter: Printer = {
  columns: [
    NAME_COLUMN,
    col('Service', 'string', 'The reference to the service that hosts this API endpoint.'),
    col('Available', 'string', 'Whether this service is available.'),
    AGE_COLUMN,
  ],
  row(obj, now) {
    const spec = (obj.spec ?? {}) as { service?: { namespace?: string; name?: string } }
    const cond = ((obj.status ?? {}) as { conditions?: { type?: string; status?: string; reason?: string }[] }).conditions?.find((c) => c.type === 'Available')
    const available = !cond ? 'Unknown' : cond.status === 'True' || !cond.reason ? String(cond.status) : `${cond.status} (${cond.reason})`
    return { cells: [nameOf(obj), spec.service ? `${spec.service.namespace ?? ''}/${spec.service.name ?? ''}` : 'Local', available, ageOf(obj, now)] }
  },
}

/** Webhook configurations: upstream's Name, Webhooks (how many), Age. */
export const webhookConfigurationPrinter: Printer = {
  columns: [NAME_COLUMN, col('Webhooks', 'integer', 'Webhooks in this configuration.'), AGE_COLUMN],
  row(obj, now) {
    const hooks = (obj as { webhooks?: unknown[] }).webhooks
    return { cells: [nameOf(obj), Array.isArray(hooks) ? hooks.length : 0, ageOf(obj, now)] }
  },
}

/** ValidatingAdmissionPolicies: upstream's Name, Validations (how many), ParamKind, Age. */
export const validatingAdmissionPolicyPrinter: Printer = {
  columns: [
    NAME_COLUMN,
    col('Validations', 'integer', 'Validation rules in the policy.'),
    col('ParamKind', 'string', 'apiVersion/kind of the parameters, or <unset>.'),
    AGE_COLUMN,
  ],
  row(obj, now) {
    const spec = (obj.spec ?? {}) as { validations?: unknown[]; paramKind?: { apiVersion?: string; kind?: string } }
    const pk = spec.paramKind ? `${spec.paramKind.apiVersion ?? ''}/${spec.paramKind.kind ?? ''}` : '<unset>'
    return { cells: [nameOf(obj), Array.isArray(spec.validations) ? spec.validations.length : 0, pk, ageOf(obj, now)] }
  },
}

/** ValidatingAdmissionPolicyBindings: upstream's Name, PolicyName, ParamRef, Age. */
export const validatingAdmissionPolicyBindingPrinter: Printer = {
  columns: [
    NAME_COLUMN,
    col('PolicyName', 'string', 'The policy the binding applies.'),
    col('ParamRef', 'string', 'namespace/name of the parameters (*/name: any namespace), a selector, or <unset>.'),
    AGE_COLUMN,
  ],
  row(obj, now) {
    const spec = (obj.spec ?? {}) as {
      policyName?: string
      paramRef?: { name?: string; namespace?: string; selector?: Parameters<typeof formatLabelSelector>[0] }
    }
    const pr = spec.paramRef
    let param = '<unset>'
    if (pr?.name) param = pr.namespace ? `${pr.namespace}/${pr.name}` : `*/${pr.name}`
    else if (pr?.selector) param = formatLabelSelector(pr.selector)
    return { cells: [nameOf(obj), spec.policyName ?? '', param, ageOf(obj, now)] }
  },
}
