// Reads and decodes request bodies: JSON, YAML and (for kubectl ≥ 1.32's `create` commands)
// Kubernetes protobuf. Malformed input becomes a 400 that says what is wrong and where.
import type { ApiRequest } from './exchange'
import { parseDocument } from 'yaml'
import { decodeProtobufObject, isProtobuf } from '../api/codec/protobuf'
import { BadRequestError } from '../api/errors'
import type { KubeObject } from '../api/object'
import type { Struct } from '../api/schema/dsl'
import { structByName, structForKind } from '../api/schema/index'
import { ApiError, errors } from './status'
import { DirectRequest } from '../client/in-process'

/** Upstream's limit for a request body. */
export const MAX_BODY_BYTES = 3 * 1024 * 1024

/** Kinds of protobuf bodies: the served kinds, plus meta/v1 DeleteOptions, which upstream registers in every group version. */
function protobufKind(group: string, version: string, kind: string): Struct | undefined {
  return structForKind(group, version, kind) ?? (kind === 'DeleteOptions' ? structByName('io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions') : undefined)
}

function tooLarge(): ApiError {
  return errors.tooLarge(`the request body is larger than ${MAX_BODY_BYTES} bytes: split the object (e.g. large ConfigMaps) into smaller ones`)
}

export async function readBody(req: ApiRequest): Promise<Buffer> {
  // The direct in-process path has the body whole already: no stream to iterate.
  if (req instanceof DirectRequest) {
    const body = req.takeBody()
    if (body.length > MAX_BODY_BYTES) throw tooLarge()
    return body
  }
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length
    if (size > MAX_BODY_BYTES) throw tooLarge()
    chunks.push(chunk)
  }
  return Buffer.concat(chunks)
}

export function mediaType(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0]!.trim().toLowerCase()
}

export interface DecodedBody {
  readonly value: unknown
  /** The JSON text when the body was JSON (for duplicate-field checks). */
  readonly jsonText?: string
}

/** Upstream's short view of an undecodable body: text if it looks like JSON, else hex. */
function summarizeData(buf: Buffer, max = 30): string {
  if (buf.length === 0) return '<empty>'
  if (buf[0] === 0x7b) return buf.length > max ? buf.subarray(0, max).toString('utf8') + ' ...' : buf.toString('utf8')
  return buf.length > max ? buf.subarray(0, max).toString('hex') + ' ...' : buf.toString('hex')
}

/** What Go's encoding/json says about text that is not JSON (the common cases). */
function goJsonError(text: string, e: Error): string {
  const first = text.trimStart()[0]
  if (first === undefined) return 'unexpected end of JSON input'
  if (!'{["-0123456789tfn'.includes(first)) return `invalid character '${first}' looking for beginning of value`
  const at = /at position (\d+)/.exec(e.message)
  if (/end of (JSON )?input|Unterminated/i.test(e.message) || (at && Number(at[1]) >= text.trimEnd().length)) return 'unexpected end of JSON input'
  return e.message
}

/**
 * Every later step walks objects recursively; a body nested thousands of levels deep would
 * exhaust the stack there (Go's decoder stops at 10 000 levels; no Kubernetes object comes
 * near this limit). Checked without recursion.
 */
export const MAX_BODY_DEPTH = 1000

function checkDepth<T>(value: T): T {
  const stack: [unknown, number][] = [[value, 1]]
  while (stack.length) {
    const [v, depth] = stack.pop()!
    if (v === null || typeof v !== 'object') continue
    if (depth > MAX_BODY_DEPTH) throw errors.badRequest(`the request body is nested more than ${MAX_BODY_DEPTH} levels deep`)
    for (const child of Array.isArray(v) ? v : Object.values(v as Record<string, unknown>)) stack.push([child, depth + 1])
  }
  return value
}

/**
 * Whether JSON text that parsed is surely no deeper than MAX_BODY_DEPTH: it opens no more
 * objects and arrays than that (`{` and `[` counted inside strings too, so never fewer), and a
 * container at depth d sits inside d - 1 others. Counting characters allocates nothing, unlike
 * checkDepth's walk of every value.
 */
function shallowJson(text: string): boolean {
  let opened = 0
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if ((c === 0x7b || c === 0x5b) && ++opened > MAX_BODY_DEPTH) return false
  }
  return true
}

/** Decode a body whose content type is JSON, YAML or protobuf; `kind` names the endpoint's kind in errors. */
export function decodeBody(buf: Buffer, contentType: string | undefined, kind?: string): DecodedBody {
  const mt = mediaType(contentType)
  if (isProtobuf(mt)) {
    try {
      return { value: decodeProtobufObject(new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength), undefined, protobufKind) }
    } catch (e) {
      if (e instanceof BadRequestError) throw errors.badRequest(e.message)
      throw e
    }
  }
  const text = buf.toString('utf8')
  if (mt === 'application/yaml' || mt === 'application/apply-patch+yaml' || mt === 'text/yaml') {
    const doc = parseDocument(text, { uniqueKeys: true })
    if (doc.errors.length) throw errors.badRequest(`the request body is not valid YAML: ${doc.errors[0]!.message}`)
    let value: unknown
    try {
      // The yaml library refuses alias expansion that grows without bound ("billion laughs").
      value = doc.toJS({ maxAliasCount: 100 })
    } catch (e) {
      throw errors.badRequest(`the request body's YAML expands too many aliases (${(e as Error).message}); write the values out instead of repeating anchors`)
    }
    return { value: checkDepth(value) }
  }
  if (mt === '' || mt === 'application/json' || mt.endsWith('+json') || mt === '*/*') {
    try {
      const value: unknown = JSON.parse(text)
      return { value: shallowJson(text) ? value : checkDepth(value), jsonText: text }
    } catch (e) {
      if (e instanceof ApiError) throw e
      if (kind)
        throw errors.badRequest(
          `the object provided is unrecognized (must be of type ${kind}): couldn't get version/kind; json parse error: ${goJsonError(text, e as Error)} (${summarizeData(buf)})`,
        )
      throw errors.badRequest(
        `the request body is not valid JSON: ${(e as Error).message}. Check the manifest's syntax (e.g. with 'kubectl apply --dry-run=client -f FILE').`,
      )
    }
  }
  throw errors.unsupportedMediaType(contentType ?? '')
}

export function asObject(value: unknown, what: string): KubeObject {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw errors.badRequest(`${what}: expected a JSON object, got ${value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value}`)
  }
  return value as KubeObject
}
