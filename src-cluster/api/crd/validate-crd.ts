// Validation of a CustomResourceDefinition itself (upstream's apiextensions validation), with
// its messages: names, group, scope, versions, the structural schema, subresources, columns.
import { ruleSchemaErrors } from './cel-rules'
import type { FieldError } from '../errors'
import { fieldErr } from '../errors'
import { isDNS1123Subdomain } from '../validation/names'
import { structuralErrors } from './structural'
import type { CrdObject, CrdVersion } from './types'

const DNS1035 = /^[a-z]([-a-z0-9]*[a-z0-9])?$/
const COLUMN_TYPES = ['integer', 'number', 'string', 'boolean', 'date']

function dns1035(v: string | undefined, field: string, errs: FieldError[]): void {
  if (v !== undefined && v !== '' && !DNS1035.test(v)) {
    errs.push(
      fieldErr.invalid(
        field,
        v,
        "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
      ),
    )
  }
}

function validateVersion(v: CrdVersion, i: number, errs: FieldError[]): void {
  const p = `spec.versions[${i}]`
  if (!v.name) errs.push(fieldErr.required(`${p}.name`))
  else dns1035(v.name, `${p}.name`, errs)
  const schema = v.schema?.openAPIV3Schema
  if (!schema) errs.push(fieldErr.required(`${p}.schema.openAPIV3Schema`, 'schemas are required'))
  else errs.push(...structuralErrors(schema, `${p}.schema.openAPIV3Schema`), ...ruleSchemaErrors(schema, `${p}.schema.openAPIV3Schema`))
  const scale = v.subresources?.scale
  if (scale) {
    if (!scale.specReplicasPath) errs.push(fieldErr.required(`${p}.subresources.scale.specReplicasPath`))
    else if (!scale.specReplicasPath.startsWith('.spec.'))
      errs.push(fieldErr.invalid(`${p}.subresources.scale.specReplicasPath`, scale.specReplicasPath, 'should be a json path under .spec'))
    if (!scale.statusReplicasPath) errs.push(fieldErr.required(`${p}.subresources.scale.statusReplicasPath`))
    else if (!scale.statusReplicasPath.startsWith('.status.'))
      errs.push(fieldErr.invalid(`${p}.subresources.scale.statusReplicasPath`, scale.statusReplicasPath, 'should be a json path under .status'))
  }
  ;(v.additionalPrinterColumns ?? []).forEach((c, j) => {
    const cp = `${p}.additionalPrinterColumns[${j}]`
    if (!c.name) errs.push(fieldErr.required(`${cp}.name`))
    if (!COLUMN_TYPES.includes(c.type)) errs.push(fieldErr.notSupported(`${cp}.type`, c.type, COLUMN_TYPES))
    if (!c.jsonPath) errs.push(fieldErr.required(`${cp}.jsonPath`))
  })
}

export function validateCrd(crd: CrdObject): FieldError[] {
  const errs: FieldError[] = []
  const spec = crd.spec ?? ({} as CrdObject['spec'])
  const names = spec.names ?? ({} as CrdObject['spec']['names'])
  const name = crd.metadata?.name ?? ''
  if (spec.group && names.plural && name !== `${names.plural}.${spec.group}`) {
    errs.push(fieldErr.invalid('metadata.name', name, 'must be spec.names.plural+"."+spec.group'))
  }
  if (!spec.group) errs.push(fieldErr.required('spec.group'))
  else {
    if (isDNS1123Subdomain(spec.group).length) errs.push(fieldErr.invalid('spec.group', spec.group, isDNS1123Subdomain(spec.group).join(', ')))
    if (spec.group.split('.').length < 2) errs.push(fieldErr.invalid('spec.group', spec.group, 'should be a domain with at least one dot'))
    const protectedGroup = spec.group === 'k8s.io' || spec.group.endsWith('.k8s.io') || spec.group === 'kubernetes.io' || spec.group.endsWith('.kubernetes.io')
    if (protectedGroup && !crd.metadata?.annotations?.['api-approved.kubernetes.io']) {
      errs.push(
        fieldErr.required(
          'metadata.annotations[api-approved.kubernetes.io]',
          'protected groups must have approval annotation "api-approved.kubernetes.io", see https://github.com/kubernetes/enhancements/pull/1111',
        ),
      )
    }
  }
  if (!names.plural) errs.push(fieldErr.required('spec.names.plural'))
  else dns1035(names.plural, 'spec.names.plural', errs)
  dns1035(names.singular, 'spec.names.singular', errs)
  if (!names.kind) errs.push(fieldErr.required('spec.names.kind'))
  ;(names.shortNames ?? []).forEach((s, i) => dns1035(s, `spec.names.shortNames[${i}]`, errs))
  ;(names.categories ?? []).forEach((s, i) => dns1035(s, `spec.names.categories[${i}]`, errs))
  if (names.kind && names.listKind && names.kind === names.listKind)
    errs.push(fieldErr.invalid('spec.names.listKind', names.listKind, 'kind and listKind may not be the same'))
  if (spec.scope !== 'Namespaced' && spec.scope !== 'Cluster') {
    if (!spec.scope) errs.push(fieldErr.required('spec.scope'))
    else errs.push(fieldErr.notSupported('spec.scope', spec.scope, ['Cluster', 'Namespaced']))
  }
  const versions = spec.versions ?? []
  if (!versions.length) errs.push(fieldErr.invalid('spec.versions', versions, 'must have exactly one version marked as storage version'))
  else {
    if (versions.filter((v) => v.storage).length !== 1)
      errs.push(fieldErr.invalid('spec.versions', versions, 'must have exactly one version marked as storage version'))
    const seen = new Set<string>()
    versions.forEach((v, i) => {
      if (seen.has(v.name)) errs.push(fieldErr.duplicate(`spec.versions[${i}].name`, v.name))
      seen.add(v.name)
      validateVersion(v, i, errs)
    })
  }
  const strategy = spec.conversion?.strategy ?? 'None'
  if (strategy !== 'None') {
    if (strategy === 'Webhook') errs.push(fieldErr.forbidden('spec.conversion.strategy', 'Webhook conversion is not served by this cluster: use None'))
    else errs.push(fieldErr.notSupported('spec.conversion.strategy', strategy, ['None', 'Webhook']))
  }
  if (spec.preserveUnknownFields)
    errs.push(
      fieldErr.invalid(
        'spec.preserveUnknownFields',
        true,
        'cannot set to true, set x-kubernetes-preserve-unknown-fields to true in spec.versions[*].schema instead',
      ),
    )
  return errs
}

export function validateCrdUpdate(crd: CrdObject, old: CrdObject): FieldError[] {
  const errs: FieldError[] = []
  if (crd.spec?.scope !== old.spec?.scope) errs.push(fieldErr.invalid('spec.scope', crd.spec?.scope, 'field is immutable'))
  const stored = old.status?.storedVersions ?? []
  for (const v of stored) {
    if (!(crd.spec?.versions ?? []).some((x) => x.name === v)) {
      errs.push(fieldErr.invalid('status.storedVersions[0]', v, 'must appear in spec.versions'))
    }
  }
  return errs
}

/** Defaults upstream applies to a CRD: singular, listKind, conversion. */
export function defaultCrd(crd: CrdObject): void {
  const spec = crd.spec
  if (!spec || typeof spec !== 'object') return
  const names = spec.names
  if (names && typeof names === 'object') {
    if (!names.singular && names.kind) names.singular = names.kind.toLowerCase()
    if (!names.listKind && names.kind) names.listKind = `${names.kind}List`
  }
  if (!spec.conversion) spec.conversion = { strategy: 'None' }
}
