// The patch engine proper, with the schema lookup passed in (index.ts supplies the real schema).
import { decodeJson, decodeYaml, isMap, type JsonMap } from './body'
import { applyConfiguration, checkApplyConfiguration } from './apply'
import { badPatch, PatchError } from './errors'
import { applyJsonPatch } from './json-patch'
import { mergePatchValue } from './merge'
import type { Lookup } from './shape'
import { strategicMerge } from './strategic'
import type { KubeObject } from '../../api/object'

export type PatchType = 'json' | 'merge' | 'strategic' | 'apply'

const CONTENT_TYPES: Record<string, PatchType> = {
  'application/json-patch+json': 'json',
  'application/merge-patch+json': 'merge',
  'application/strategic-merge-patch+json': 'strategic',
  'application/apply-patch+yaml': 'apply',
}

/** The patch type of a PATCH request's Content-Type (parameters ignored); undefined answers 415. */
export function patchTypeFromContentType(ct: string | undefined): PatchType | undefined {
  if (!ct) return undefined
  const base = ct.split(';')[0]!.trim().toLowerCase()
  return CONTENT_TYPES[base]
}

function decodeObject(body: Buffer | string, what: string): JsonMap {
  const v = decodeJson(body, what)
  if (!isMap(v)) throw badPatch(`${what} body must be a JSON object`)
  return v
}

/**
 * Applies a patch of `type` to `original`, walking the schema from struct `structName`.
 * The result never shares structure with `original` or the body.
 * Throws PatchError: 400 malformed body, 415 unsupported type, 422 a JSON patch op that cannot apply.
 */
export function applyPatchWith(type: PatchType, original: KubeObject, patch: Buffer | string, structName: string, lookup: Lookup): KubeObject {
  switch (type) {
    case 'merge':
      return mergePatchValue(original, decodeObject(patch, 'merge patch')) as KubeObject
    case 'json':
      return applyJsonPatch(original, decodeJson(patch, 'JSON patch')) as KubeObject
    case 'strategic':
      return strategicMerge(original, decodeObject(patch, 'strategic merge patch'), { kind: 'struct', struct: lookup(structName) }, lookup) as KubeObject
    case 'apply': {
      const applied = checkApplyConfiguration(decodeYaml(patch, 'apply patch'))
      checkSameKind(original, applied)
      return applyConfiguration(original, applied, { kind: 'struct', struct: lookup(structName) }, lookup) as KubeObject
    }
    default:
      throw new PatchError(`unsupported patch type ${JSON.stringify(type)}: use json, merge, strategic or apply`, 415)
  }
}

/** An applied configuration must describe the same kind of object as the live one. */
function checkSameKind(live: KubeObject, applied: JsonMap): void {
  if (live.apiVersion && applied.apiVersion !== live.apiVersion) {
    throw badPatch(`apply patch: the applied apiVersion ${String(applied.apiVersion)} does not match the object's ${live.apiVersion}`)
  }
  if (live.kind && applied.kind !== live.kind) {
    throw badPatch(`apply patch: the applied kind ${String(applied.kind)} does not match the object's ${live.kind}`)
  }
}

/**
 * PATCH with the apply type on an object that does not exist creates it: this returns the object
 * to create (nulls dropped), or undefined for the other patch types, which answer 404 instead.
 */
export function applyConfigurationCreatesWith(
  type: PatchType,
  patch: Buffer | string,
  structName: string | undefined,
  lookup: Lookup | undefined,
): KubeObject | undefined {
  if (type !== 'apply') return undefined
  const applied = checkApplyConfiguration(decodeYaml(patch, 'apply patch'))
  const shape = structName && lookup ? { kind: 'struct' as const, struct: lookup(structName) } : { kind: 'free' as const }
  return applyConfiguration({}, applied, shape, lookup ?? noLookup) as KubeObject
}

function noLookup(name: string): never {
  throw new Error(`patch: no schema lookup given to resolve ${name}`)
}
