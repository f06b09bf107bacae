// The checks every written object goes through: structure against the schema (unknown and
// duplicate fields per fieldValidation, wrong types), defaults, and the kind's validation.
import type { FieldError } from '../../api/errors'
import type { KubeObject } from '../../api/object'
import { formatFieldError } from '../../api/errors'
import { apiVersionOf, findByKind, type ResourceInfo } from '../../api/resources'
import { applyDefaults } from '../../api/defaults'
import { validateObject } from '../../api/validation'
import { checkStructure } from '../../api/validation/structural'
import { findDuplicateFields } from '../../api/validation/duplicates'
import { errors } from '../status'

export type FieldValidation = 'Strict' | 'Warn' | 'Ignore'

export function fieldValidationParam(query: URLSearchParams): FieldValidation {
  const v = query.get('fieldValidation')
  if (v === null || v === '') return 'Warn'
  if (v === 'Strict' || v === 'Warn' || v === 'Ignore') return v
  throw errors.badRequest(`fieldValidation must be one of Strict, Warn, Ignore (got ${JSON.stringify(v)})`)
}

export function isDryRun(query: URLSearchParams, body?: { dryRun?: unknown }): boolean {
  const v = query.getAll('dryRun')
  if (v.length) {
    for (const x of v) if (x !== 'All') throw errors.badRequest(`dryRun must be "All" (got ${JSON.stringify(x)})`)
    return true
  }
  return Array.isArray(body?.dryRun) && body!.dryRun.includes('All')
}

/**
 * Check an incoming object's structure: returns the pruned object. Unknown/duplicate fields
 * are errors under Strict, warnings under Warn; wrong types are always a 400.
 */
export function checkFields(
  res: ResourceInfo,
  value: KubeObject,
  mode: FieldValidation,
  warnings: string[],
  jsonText?: string,
  structName = res.schema,
): KubeObject {
  // A body that is exactly what JSON.stringify writes of its parsed value (our clients' compact
  // JSON) has no duplicate field: a duplicate's first value would be missing from that text.
  const surelyNoDuplicates = jsonText !== undefined && mode !== 'Ignore' && JSON.stringify(value) === jsonText
  // Custom resources: type errors are part of validation (422), pruning is the schema's.
  const {
    object,
    unknownFields,
    errors: typeErrs,
  } = res.dynamic && structName === res.schema ? { ...res.dynamic.prune(value), errors: [] } : checkStructure(value, structName)
  const problems: string[] = []
  if (mode !== 'Ignore') {
    for (const f of unknownFields) problems.push(`unknown field ${JSON.stringify(f)}`)
    if (jsonText && !surelyNoDuplicates) for (const f of findDuplicateFields(jsonText)) problems.push(`duplicate field ${JSON.stringify(f)}`)
  }
  const cannot = `${res.kind} in version ${JSON.stringify(res.version)} cannot be handled as a ${res.kind}`
  if (typeErrs.length) throw errors.badRequest(`${cannot}: ${typeErrs.map(formatFieldError).join(', ')}`)
  if (problems.length) {
    if (mode === 'Strict') throw errors.badRequest(`${cannot}: strict decoding error: ${problems.join(', ')}`)
    warnings.push(...problems)
  }
  return object
}

/** apiVersion/kind of a body must name this resource (or be absent). */
export function checkTypeMeta(res: ResourceInfo, obj: KubeObject, expectKind = res.kind, expectApiVersion = apiVersionOf(res)): void {
  // Go reads apiVersion/kind into strings first (null is as absent): anything else is its decode error.
  for (const field of ['apiVersion', 'kind'] as const) {
    const v: unknown = obj[field]
    if (v === null) delete obj[field]
    else if (v !== undefined && typeof v !== 'string') {
      const goType = Array.isArray(v) ? 'array' : typeof v === 'boolean' ? 'bool' : typeof v === 'object' ? 'object' : typeof v
      throw errors.badRequest(
        `the object provided is unrecognized (must be of type ${expectKind}): couldn't get version/kind; json parse error: json: cannot unmarshal ${goType} into Go struct field .${field} of type string`,
      )
    }
  }
  const kind = obj.kind === undefined || obj.kind === '' ? expectKind : String(obj.kind)
  const apiVersion = obj.apiVersion === undefined || obj.apiVersion === '' ? expectApiVersion : String(obj.apiVersion)
  if (kind !== expectKind || apiVersion !== expectApiVersion) {
    // Upstream's decoder words (handlers/rest.go transformDecodeError): the data's kind and
    // version, then why it cannot become the endpoint's kind.
    const version = apiVersion.includes('/') ? apiVersion.slice(apiVersion.indexOf('/') + 1) : apiVersion
    const known = findByKind(apiVersion, kind)
    const expectGroup = expectApiVersion.includes('/') ? expectApiVersion.slice(0, expectApiVersion.indexOf('/')) : ''
    const why = known
      ? `converting (${version}.${kind}) to (${expectGroup ? expectGroup.split('.')[0] : 'core'}.${expectKind}): unknown conversion`
      : `no kind ${JSON.stringify(kind)} is registered for version ${JSON.stringify(apiVersion)} in scheme "pkg/api/legacyscheme/scheme.go:30"`
    throw errors.badRequest(`${kind} in version ${JSON.stringify(version)} cannot be handled as a ${expectKind}: ${why}`)
  }
  obj.apiVersion = expectApiVersion
  obj.kind = expectKind
}

export { applyDefaults }

export function validateOrThrow(res: ResourceInfo, obj: KubeObject, old?: KubeObject, extra: readonly FieldError[] = []): void {
  const errs = [...extra, ...validateObject(res, obj, old)]
  if (errs.length) throw errors.invalid(res, obj.metadata?.name ?? obj.metadata?.generateName ?? '', errs)
}
