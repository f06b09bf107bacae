// PATCH semantics for the API server: JSON merge patch (RFC 7386), JSON patch (RFC 6902),
// Kubernetes strategic merge patch and the structured merge of server-side apply. Field
// ownership, apply conflicts and removal of dropped fields live in ../fieldmanager.
import type { KubeObject } from '../../api/object'
import { structByName } from '../../api/schema'
import { applyConfigurationCreatesWith, applyPatchWith, type PatchType } from './engine'
import type { Lookup } from './shape'

export { PatchError, type PatchErrorCode } from './errors'
export { patchTypeFromContentType, type PatchType } from './engine'
export type { Lookup } from './shape'

/**
 * Applies a patch body of `type` to `original` (a Kubernetes object served as struct
 * `structName`, e.g. "io.k8s.api.apps.v1.Deployment"). `original` is left untouched and the
 * result shares no structure with it. Throws PatchError (400 / 415 / 422).
 */
export function applyPatch(type: PatchType, original: KubeObject, patch: Buffer | string, structName: string, lookup: Lookup = structByName): KubeObject {
  return applyPatchWith(type, original, patch, structName, lookup)
}

/**
 * For PATCH on a missing object: with the apply type the applied configuration creates it, and
 * this returns the object to create; other types return undefined (the caller answers 404).
 * With `structName` the configuration is cleaned by the schema (nulls dropped inside lists too).
 */
export function applyConfigurationCreates(type: PatchType, patch: Buffer | string, structName?: string, lookup: Lookup = structByName): KubeObject | undefined {
  return applyConfigurationCreatesWith(type, patch, structName, structName ? lookup : undefined)
}
