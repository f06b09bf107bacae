// Whether a CRD's openAPIV3Schema is structural (upstream's apiextensions `structural`
// package): every field has a type, arrays have items, no $ref and friends, and the
// logic junctors (allOf/anyOf/oneOf/not) only restrict values, never add types or defaults.
import type { FieldError } from '../errors'
import { fieldErr } from '../errors'
import type { JSONSchemaProps } from './types'

const UNSUPPORTED = ['$ref', 'id', 'definitions', 'dependencies', 'patternProperties', 'additionalItems'] as const
const TYPES = new Set(['object', 'array', 'string', 'integer', 'number', 'boolean'])

type Kind = 'root' | 'field' | 'items' | 'junctor'

function checkNode(s: JSONSchemaProps, path: string, kind: Kind, errs: FieldError[]): void {
  if (!s || typeof s !== 'object' || Array.isArray(s)) {
    errs.push(fieldErr.invalid(path, s, 'must be a schema object'))
    return
  }
  for (const k of UNSUPPORTED) if (k in s) errs.push(fieldErr.forbidden(`${path}.${k}`, `${k} is not supported`))
  if (s.uniqueItems === true)
    errs.push(fieldErr.forbidden(`${path}.uniqueItems`, 'uniqueItems cannot be set to true since the runtime complexity becomes quadratic'))
  if ((s.type as unknown) === 'null') errs.push(fieldErr.forbidden(`${path}.type`, 'type cannot be set to null, use nullable as an alternative'))
  else if (s.type !== undefined && !TYPES.has(s.type)) errs.push(fieldErr.notSupported(`${path}.type`, s.type, [...TYPES]))
  const preserve = s['x-kubernetes-preserve-unknown-fields'] === true
  const intOrString = s['x-kubernetes-int-or-string'] === true
  if (kind === 'junctor') {
    if (s.type) errs.push(fieldErr.forbidden(`${path}.type`, 'must be empty to be structural'))
    if (s.default !== undefined) errs.push(fieldErr.forbidden(`${path}.default`, 'must be undefined to be structural'))
    if (s.nullable) errs.push(fieldErr.forbidden(`${path}.nullable`, 'must be false to be structural'))
    for (const k of Object.keys(s)) if (k.startsWith('x-kubernetes-')) errs.push(fieldErr.forbidden(`${path}.${k}`, 'must be false to be structural'))
  } else if (!s.type && !preserve && !intOrString) {
    const where = kind === 'root' ? 'at the root' : kind === 'items' ? 'for specified array items' : 'for specified object fields'
    errs.push(fieldErr.required(`${path}.type`, `must not be empty ${where}`))
  }
  if (kind === 'root' && s.type && s.type !== 'object') errs.push(fieldErr.invalid(`${path}.type`, s.type, 'must be object at the root'))
  if (intOrString && s.type) errs.push(fieldErr.invalid(`${path}.type`, s.type, 'must be empty if x-kubernetes-int-or-string is true'))
  if (s['x-kubernetes-embedded-resource'] && s.type !== 'object')
    errs.push(fieldErr.invalid(`${path}.type`, s.type ?? '', 'must be object if x-kubernetes-embedded-resource is true'))
  if (s['x-kubernetes-embedded-resource'] && !preserve && !s.properties) {
    errs.push(
      fieldErr.required(`${path}.properties`, 'must not be empty if x-kubernetes-embedded-resource is true without x-kubernetes-preserve-unknown-fields'),
    )
  }
  if (s.additionalProperties !== undefined) {
    if (kind === 'root') errs.push(fieldErr.forbidden(`${path}.additionalProperties`, 'must not be used at the root'))
    else if (s.properties) errs.push(fieldErr.forbidden(`${path}.additionalProperties`, 'additionalProperties and properties are mutual exclusive'))
    if (s.additionalProperties === false) errs.push(fieldErr.forbidden(`${path}.additionalProperties`, 'must not be false: use properties'))
    if (s.additionalProperties && typeof s.additionalProperties === 'object')
      checkNode(s.additionalProperties, `${path}.additionalProperties`, kind === 'junctor' ? 'junctor' : 'field', errs)
  }
  if (s.type === 'array' && s.items === undefined) errs.push(fieldErr.required(`${path}.items`, 'must be specified'))
  if (Array.isArray(s.items)) errs.push(fieldErr.forbidden(`${path}.items`, 'items must be a schema object and not an array'))
  else if (s.items) checkNode(s.items, `${path}.items`, kind === 'junctor' ? 'junctor' : 'items', errs)
  for (const [k, p] of Object.entries(s.properties ?? {})) checkNode(p, `${path}.properties[${k}]`, kind === 'junctor' ? 'junctor' : 'field', errs)
  for (const j of ['allOf', 'anyOf', 'oneOf'] as const) (s[j] ?? []).forEach((x, i) => checkNode(x, `${path}.${j}[${i}]`, 'junctor', errs))
  if (s.not) checkNode(s.not, `${path}.not`, 'junctor', errs)
  if (s.default !== undefined && kind !== 'junctor' && kind === 'root') errs.push(fieldErr.forbidden(`${path}.default`, 'must not be set at the root'))
}

/** Structural-schema errors, with paths under `path` (…openAPIV3Schema). */
export function structuralErrors(schema: JSONSchemaProps, path: string): FieldError[] {
  const errs: FieldError[] = []
  checkNode(schema, path, 'root', errs)
  const meta = schema?.properties?.metadata
  if (meta && typeof meta === 'object') {
    // Only name and generateName may be restricted at the root's metadata.
    for (const k of Object.keys(meta.properties ?? {})) {
      if (k !== 'name' && k !== 'generateName') errs.push(fieldErr.forbidden(`${path}.properties[metadata].properties[${k}]`, 'must not be specified'))
    }
  }
  return errs
}
