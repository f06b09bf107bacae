// Reads and decodes request bodies: JSON, YAML and (for kubectl ≥ 1.32's `create` commands)
// Kubernetes protobuf. Malformed input becomes a 400 that says what is wrong and where.
import type { IncomingMessage } from 'node:http'
import { parseDocument } from 'yaml'
import { decodeProtobufObject, isProtobuf } from '../api/codec/protobuf'
import { BadRequestError, type KubeObject } from '../api/errors'
import type { Struct } from '../api/schema/dsl'
import { structByName, structForKind } from '../api/schema/index'
import { errors } from './status'

/** Upstream's limit for a request body. */
export const MAX_BODY_BYTES = 3 * 1024 * 1024

/** Kinds of protobuf bodies: the served kinds, plus meta/v1 DeleteOptions, which upstream registers in every group version. */
function protobufKind(group: string, version: string, kind: string): Struct | undefined {
  return structForKind(group, version, kind) ?? (kind === 'DeleteOptions' ? structByName('io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions') : undefined)
}

export async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length
    if (size > MAX_BODY_BYTES) throw errors.tooLarge(`the request body is larger than ${MAX_BODY_BYTES} bytes: split the object (e.g. large ConfigMaps) into smaller ones`)
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

/** Decode a body whose content type is JSON, YAML or protobuf. */
export function decodeBody(buf: Buffer, contentType: string | undefined): DecodedBody {
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
    return { value: doc.toJS() }
  }
  if (mt === '' || mt === 'application/json' || mt.endsWith('+json') || mt === '*/*') {
    try {
      return { value: JSON.parse(text), jsonText: text }
    } catch (e) {
      throw errors.badRequest(`the request body is not valid JSON: ${(e as Error).message}. Check the manifest's syntax (e.g. with 'kubectl apply --dry-run=client -f FILE').`)
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
