// JSON patch, RFC 6902, through fast-json-patch. Malformed operations answer 400; well-formed
// operations that cannot apply to this object (missing path, failed test) answer 422.
import jsonpatch from 'fast-json-patch'
import type { Operation } from 'fast-json-patch'
import { cloneJson, isMap, type JsonMap } from './body'
import { badPatch, PatchError } from './errors'

const OPS = new Set(['add', 'remove', 'replace', 'move', 'copy', 'test'])
/** Upstream's limits: at most 10 000 operations, and copies may add at most as much as a request body may hold. */
export const MAX_JSON_PATCH_OPERATIONS = 10_000
export const MAX_ACCUMULATED_COPY_BYTES = 3 * 1024 * 1024

/** Why an operation failed, in words, by fast-json-patch error name. 422 unless listed as malformed. */
const REASONS: Record<string, string> = {
  TEST_OPERATION_FAILED: 'the value at the path is not the one the test expects',
  OPERATION_PATH_UNRESOLVABLE: 'the path does not exist in the object',
  OPERATION_FROM_UNRESOLVABLE: 'the "from" path does not exist in the object',
  OPERATION_PATH_CANNOT_ADD: 'the parent of the path does not exist in the object',
  OPERATION_PATH_ILLEGAL_ARRAY_INDEX: 'the list index is not a non-negative integer or "-"',
  OPERATION_VALUE_OUT_OF_BOUNDS: 'the list index is past the end of the list',
}

/** Checks the shape of every operation up front so that malformed patches are 400, not 422. */
function decodeOps(body: unknown): Operation[] {
  if (!Array.isArray(body)) throw badPatch('JSON patch body must be a JSON array of operations')
  if (body.length > MAX_JSON_PATCH_OPERATIONS) {
    throw new PatchError(`The allowed maximum operations in a JSON patch is ${MAX_JSON_PATCH_OPERATIONS}, got ${body.length}`, 413)
  }
  body.forEach((op: unknown, i) => {
    const at = `JSON patch operation ${i}`
    if (!isMap(op)) throw badPatch(`${at} is not an object`)
    if (typeof op.op !== 'string' || !OPS.has(op.op)) {
      throw badPatch(`${at}: "op" must be one of add, remove, replace, move, copy, test (got ${JSON.stringify(op.op)})`)
    }
    if (typeof op.path !== 'string') throw badPatch(`${at} (${op.op}): "path" must be a string`)
    if (op.path !== '' && !op.path.startsWith('/')) {
      throw badPatch(`${at} (${op.op} ${op.path}): "path" must be empty or start with "/"`)
    }
    if ((op.op === 'move' || op.op === 'copy') && typeof op.from !== 'string') {
      throw badPatch(`${at} (${op.op} ${op.path}): "from" must be a string`)
    }
    if ((op.op === 'add' || op.op === 'replace' || op.op === 'test') && !('value' in op)) {
      throw badPatch(`${at} (${op.op} ${op.path}): "value" is required`)
    }
  })
  return body as Operation[]
}

interface FastJsonPatchError {
  name: string
  index?: number
  operation?: { op?: string; path?: string; from?: string }
}

function isPatchLibError(e: unknown): e is FastJsonPatchError {
  return e instanceof jsonpatch.JsonPatchError
}

/** Whether a JSON pointer resolves in a document (getValueByPointer throws on some misses). */
function resolves(doc: unknown, pointer: string): boolean {
  try {
    return jsonpatch.getValueByPointer(doc, pointer) !== undefined
  } catch {
    return false
  }
}

export function applyJsonPatch(original: JsonMap, body: unknown): JsonMap {
  const ops = decodeOps(body)
  const doc = cloneJson(original)
  let result: unknown
  try {
    // One operation at a time, so copies are measured before they are made: a few dozen
    // self-doubling copies in a kilobyte of patch would otherwise build gigabytes and hold the
    // event loop for minutes. validate=true makes failed preconditions throw.
    let copied = 0
    let current: unknown = doc
    cloneJson(ops).forEach((op, index) => {
      if (op.op === 'copy') {
        const value: unknown = resolves(current, op.from) ? jsonpatch.getValueByPointer(current, op.from) : undefined
        copied += value === undefined ? 0 : JSON.stringify(value).length
        if (copied > MAX_ACCUMULATED_COPY_BYTES) {
          throw new PatchError(
            `JSON patch operation ${index} (copy ${op.from} -> ${op.path}) cannot be applied: the accumulated size increase of copies is ${copied} bytes, exceeding the limit of ${MAX_ACCUMULATED_COPY_BYTES}`,
            422,
          )
        }
      }
      // A move into its own child removes the destination's parent first (fast-json-patch then
      // throws a TypeError); evanphx/json-patch, which the API server uses, says so instead.
      if (op.op === 'move' && op.path.startsWith(`${op.from}/`)) {
        throw new PatchError(
          `JSON patch operation ${index} (move ${op.from} -> ${op.path}) cannot be applied: move operation does not apply: doc is missing destination path: ${op.path}: missing value`,
          422,
        )
      }
      current = jsonpatch.applyOperation(current, op, true, true, true, index).newDocument
    })
    result = current
  } catch (e) {
    // fast-json-patch refuses prototype-changing paths with a plain TypeError.
    if (e instanceof PatchError) throw e
    if (e instanceof TypeError && /banned/.test(e.message)) throw badPatch(`JSON patch: ${e.message}`)
    if (!isPatchLibError(e)) throw e
    const op = e.operation ?? {}
    const what = `JSON patch operation ${e.index ?? '?'} (${op.op ?? '?'} ${op.from !== undefined ? `${op.from} -> ` : ''}${op.path ?? '?'})`
    const reason = REASONS[e.name]
    if (reason === undefined) throw badPatch(`${what} is malformed: ${e.name}`)
    throw new PatchError(`${what} cannot be applied: ${reason}`, 422)
  }
  if (!isMap(result)) throw new PatchError('JSON patch result is not a JSON object: an API object must stay an object', 422)
  return result
}
