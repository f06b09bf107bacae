// JSON merge patch, RFC 7386: objects merge recursively, null deletes, anything else replaces.
import { cloneJson, isMap, type JsonMap } from './body'

/** Returns a new value; neither argument is modified and the result shares nothing with them. */
export function mergePatchValue(target: unknown, patch: unknown): unknown {
  return mergeInto(cloneJson(target), patch)
}

/** Merges `patch` into `target` in place (target must be caller-owned); copies what it takes from patch. */
export function mergeInto(target: unknown, patch: unknown): unknown {
  if (!isMap(patch)) return cloneJson(patch)
  const out: JsonMap = isMap(target) ? target : {}
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k]
    else out[k] = mergeInto(out[k], v)
  }
  return out
}
