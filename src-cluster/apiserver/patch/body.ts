// Decoding patch bodies and the small JSON helpers every patch flavour shares.
import { parse as parseYaml } from 'yaml'
import { badPatch } from './errors'

export type JsonMap = Record<string, unknown>

export function isMap(value: unknown): value is JsonMap {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** A deep copy through JSON, so results never share structure with their inputs. */
export function cloneJson<T>(value: T): T {
  return value === undefined ? value : (JSON.parse(JSON.stringify(value)) as T)
}

function text(body: Buffer | string): string {
  return typeof body === 'string' ? body : body.toString('utf8')
}

/** Parses a JSON patch body; `what` names the patch type in the error. */
export function decodeJson(body: Buffer | string, what: string): unknown {
  const s = text(body)
  if (s.trim() === '') throw badPatch(`${what} body is empty: send a JSON document`)
  let v: unknown
  try {
    v = JSON.parse(s) as unknown
  } catch (e) {
    throw badPatch(`${what} body is not valid JSON: ${(e as Error).message}`)
  }
  return rejectProtoKeys(v, what)
}

/** Parses an apply configuration: YAML or JSON (YAML is a superset), one document. */
export function decodeYaml(body: Buffer | string, what: string): unknown {
  const s = text(body)
  if (s.trim() === '') throw badPatch(`${what} body is empty: send a YAML or JSON object`)
  let v: unknown
  try {
    v = parseYaml(s) as unknown
  } catch (e) {
    throw badPatch(`${what} body is not valid YAML: ${(e as Error).message}`)
  }
  return rejectProtoKeys(v, what)
}

/** Deeper than any Kubernetes object; the merge code is recursive and must not run out of stack. */
const MAX_PATCH_DEPTH = 1000

/**
 * Assigning a "__proto__" key would swap an object's prototype while merging: refuse it. Also
 * refuse nesting deeper than MAX_PATCH_DEPTH. Walked without recursion.
 */
function rejectProtoKeys(v: unknown, what: string): unknown {
  const stack: [unknown, number][] = [[v, 1]]
  while (stack.length > 0) {
    const [x, depth] = stack.pop()!
    if (x === null || typeof x !== 'object') continue
    if (depth > MAX_PATCH_DEPTH) throw badPatch(`${what} body is nested more than ${MAX_PATCH_DEPTH} levels deep`)
    if (Array.isArray(x)) for (const c of x) stack.push([c, depth + 1])
    else {
      if (Object.prototype.hasOwnProperty.call(x, '__proto__')) throw badPatch(`${what} body uses the field name "__proto__", which is not allowed`)
      for (const c of Object.values(x as JsonMap)) stack.push([c, depth + 1])
    }
  }
  return v
}

/** A path for error messages, e.g. "spec.template.spec.containers". */
export function join(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`
}
