// The Swagger 2.0 document at /openapi/v2, derived from the per-group OpenAPI v3 documents (so
// both always describe the same schemas). kubectl 1.27/1.28 read it for validation, explain,
// apply and diff; newer ones fall back to it. Served as JSON or as the gnostic protobuf
// (openapi_v2.Document) kubectl asks for; see protobuf-v2.ts.
import { createHash } from 'node:crypto'
import { openapiV3Document, openapiV3Index } from './v3'
import type { JsonSchema } from './schemas'
import { encodeOpenapiV2Document } from './protobuf-v2'

type Json = Record<string, unknown>

const V3_REF = '#/components/schemas/'
const V2_REF = '#/definitions/'
/** Keys of a v3 schema that Swagger 2.0 has no room for. */
const DROPPED = new Set(['nullable', 'oneOf', 'anyOf', 'not', 'writeOnly', 'deprecated'])

function isObj(v: unknown): v is Json {
  return !!v && typeof v === 'object' && !Array.isArray(v)
}

/** A v3 schema as v2: references point at #/definitions, single-ref allOf wrappers become plain refs. */
export function toV2Schema(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(toV2Schema)
  if (!isObj(value)) return value
  const out: Json = {}
  for (const [k, v] of Object.entries(value)) {
    if (DROPPED.has(k)) continue
    if (k === '$ref' && typeof v === 'string') out[k] = v.startsWith(V3_REF) ? V2_REF + v.slice(V3_REF.length) : v
    else if (k === 'properties' && isObj(v)) out[k] = Object.fromEntries(Object.entries(v).map(([n, p]) => [n, toV2Schema(p)]))
    else if (k === 'default' || k === 'example' || k === 'enum' || k.startsWith('x-')) out[k] = v
    else out[k] = toV2Schema(v)
  }
  const all = out.allOf
  if (Array.isArray(all) && all.length === 1 && isObj(all[0]) && typeof all[0].$ref === 'string') {
    delete out.allOf
    delete out.default // Go's v2 generator puts no default beside a $ref
    return { $ref: all[0].$ref, ...out }
  }
  return out
}

function firstSchema(content: unknown): unknown {
  if (!isObj(content)) return undefined
  for (const c of Object.values(content)) if (isObj(c) && c.schema) return toV2Schema(c.schema)
  return undefined
}

function toV2Parameter(p: unknown): Json | undefined {
  if (!isObj(p) || typeof p.name !== 'string') return undefined
  const schema = isObj(p.schema) ? p.schema : {}
  const out: Json = { name: p.name, in: p.in, type: schema.type ?? 'string' }
  if (p.description) out.description = p.description
  if (p.required) out.required = true
  if (schema.uniqueItems) out.uniqueItems = true
  return out
}

const OPS = ['get', 'put', 'post', 'delete', 'patch'] as const

function toV2Operation(op: Json): Json {
  const out: Json = {}
  if (op.description) out.description = op.description
  const body = isObj(op.requestBody) ? op.requestBody : undefined
  if (body && isObj(body.content)) out.consumes = Object.keys(body.content)
  const produces = new Set<string>()
  const responses: Json = {}
  for (const [code, r] of Object.entries(isObj(op.responses) ? op.responses : {})) {
    if (!isObj(r)) continue
    const resp: Json = { description: r.description ?? '' }
    const schema = firstSchema(r.content)
    if (schema) resp.schema = schema
    if (isObj(r.content)) for (const ct of Object.keys(r.content)) produces.add(ct)
    responses[code] = resp
  }
  if (produces.size) out.produces = [...produces]
  out.schemes = ['https']
  if (op.tags) out.tags = op.tags
  if (op.operationId) out.operationId = op.operationId
  const params: Json[] = []
  if (body) params.push({ name: 'body', in: 'body', required: true, schema: firstSchema(body.content) ?? {} })
  for (const p of Array.isArray(op.parameters) ? op.parameters : []) {
    const v2 = toV2Parameter(p)
    if (v2) params.push(v2)
  }
  if (params.length) out.parameters = params
  out.responses = responses
  for (const [k, v] of Object.entries(op)) if (k.startsWith('x-')) out[k] = v
  return out
}

export function buildOpenapiV2Document(v3docs: readonly JsonSchema[]): Json {
  const paths: Json = {}
  const definitions: Json = {}
  for (const doc of v3docs) {
    const comps = isObj(doc.components) && isObj(doc.components.schemas) ? doc.components.schemas : {}
    for (const [name, s] of Object.entries(comps)) if (!definitions[name]) definitions[name] = toV2Schema(s)
    for (const [path, item] of Object.entries(isObj(doc.paths) ? doc.paths : {})) {
      if (!isObj(item)) continue
      const out: Json = {}
      for (const m of OPS) if (isObj(item[m])) out[m] = toV2Operation(item[m] as Json)
      const common = (Array.isArray(item.parameters) ? item.parameters : []).map(toV2Parameter).filter((p): p is Json => !!p)
      if (common.length) out.parameters = common
      paths[path] = out
    }
  }
  const sortedPaths = Object.fromEntries(Object.entries(paths).sort(([a], [b]) => a.localeCompare(b)))
  const sortedDefs = Object.fromEntries(Object.entries(definitions).sort(([a], [b]) => a.localeCompare(b)))
  return { swagger: '2.0', info: { title: 'Kubernetes', version: 'v1.32.4' }, paths: sortedPaths, definitions: sortedDefs }
}

export interface OpenapiV2 {
  readonly json: string
  readonly protobuf: Uint8Array
  /** Quoted uppercase-hex SHA-512 of the JSON, as upstream's ETag. */
  readonly etag: string
}

let cached: { key: string; doc: OpenapiV2 } | undefined

/** The document (rebuilt only when a v3 document changed). */
export function openapiV2(): OpenapiV2 {
  const index = openapiV3Index().paths
  const key = Object.entries(index)
    .map(([k, v]) => `${k}=${v.serverRelativeURL}`)
    .join('\n')
  if (cached?.key === key) return cached.doc
  const docs = Object.keys(index).map((k) => JSON.parse(openapiV3Document(k)!.json) as JsonSchema)
  const obj = buildOpenapiV2Document(docs)
  const json = JSON.stringify(obj)
  const doc = { json, protobuf: encodeOpenapiV2Document(obj), etag: `"${createHash('sha512').update(json).digest('hex').toUpperCase()}"` }
  cached = { key, doc }
  return doc
}
