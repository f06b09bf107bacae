// Encodes a Swagger 2.0 document as gnostic's openapi_v2.Document protobuf, the only form
// kubectl/client-go accept from /openapi/v2. Only what a Kubernetes document uses is written:
// info, paths (operations, parameters, responses) and definitions (schemas); vendor
// extensions travel as YAML text in Any.yaml, as gnostic does. Field numbers follow
// gnostic's openapiv2/OpenAPIv2.proto.
import { stringify } from 'yaml'

type Json = Record<string, unknown>

class Writer {
  private parts: Uint8Array[] = []
  private len = 0

  private push(b: Uint8Array): void {
    this.parts.push(b)
    this.len += b.length
  }

  private varint(n: number): void {
    const out: number[] = []
    let v = n
    while (v > 0x7f) {
      out.push((v & 0x7f) | 0x80)
      v = Math.floor(v / 128)
    }
    out.push(v)
    this.push(Uint8Array.from(out))
  }

  private tag(field: number, wire: number): void {
    this.varint(field * 8 + wire)
  }

  string(field: number, s: unknown): this {
    if (typeof s !== 'string' || s === '') return this
    const b = Buffer.from(s, 'utf8')
    this.tag(field, 2)
    this.varint(b.length)
    this.push(b)
    return this
  }

  strings(field: number, list: unknown): this {
    if (Array.isArray(list)) for (const s of list) if (typeof s === 'string') this.stringAlways(field, s)
    return this
  }

  private stringAlways(field: number, s: string): void {
    const b = Buffer.from(s, 'utf8')
    this.tag(field, 2)
    this.varint(b.length)
    this.push(b)
  }

  bool(field: number, v: unknown): this {
    if (v !== true) return this
    this.tag(field, 0)
    this.varint(1)
    return this
  }

  int(field: number, v: unknown): this {
    if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) return this
    this.tag(field, 0)
    this.varint(v)
    return this
  }

  double(field: number, v: unknown): this {
    if (typeof v !== 'number') return this
    this.tag(field, 1)
    const b = Buffer.alloc(8)
    b.writeDoubleLE(v)
    this.push(b)
    return this
  }

  message(field: number, m: Writer | undefined): this {
    if (!m) return this
    const b = m.finish()
    this.tag(field, 2)
    this.varint(b.length)
    this.push(b)
    return this
  }

  finish(): Uint8Array {
    const out = new Uint8Array(this.len)
    let off = 0
    for (const p of this.parts) {
      out.set(p, off)
      off += p.length
    }
    return out
  }
}

function isObj(v: unknown): v is Json {
  return !!v && typeof v === 'object' && !Array.isArray(v)
}

/** Any { yaml = 2 } */
function anyYaml(v: unknown): Writer {
  return new Writer().string(2, stringify(v))
}

/** repeated NamedAny { name = 1; value = 2 } from the x- keys of an object. */
function vendorExtensions(w: Writer, field: number, o: Json): void {
  for (const [k, v] of Object.entries(o)) if (k.startsWith('x-')) w.message(field, new Writer().string(1, k).message(2, anyYaml(v)))
}

function schema(s: unknown): Writer {
  const w = new Writer()
  if (!isObj(s)) return w
  w.string(1, s.$ref).string(2, s.format).string(3, s.title).string(4, s.description)
  w.double(7, s.maximum).double(9, s.minimum).int(11, s.maxLength).int(12, s.minLength).string(13, s.pattern).int(14, s.maxItems).int(15, s.minItems)
  w.strings(19, s.required)
  if (Array.isArray(s.enum)) for (const e of s.enum) w.message(20, anyYaml(e))
  if (isObj(s.additionalProperties)) w.message(21, new Writer().message(1, schema(s.additionalProperties)))
  else if (s.additionalProperties === true) w.message(21, new Writer().bool(2, true))
  if (typeof s.type === 'string') w.message(22, new Writer().strings(1, [s.type]))
  if (s.items !== undefined) w.message(23, new Writer().message(1, schema(s.items)))
  if (Array.isArray(s.allOf)) for (const a of s.allOf) w.message(24, schema(a))
  if (isObj(s.properties)) {
    const props = new Writer()
    for (const [name, p] of Object.entries(s.properties)) props.message(1, new Writer().string(1, name).message(2, schema(p)))
    w.message(25, props)
  }
  vendorExtensions(w, 31, s)
  return w
}

/** ParametersItem { parameter = 1 { body_parameter = 1 | non_body_parameter = 2 } } */
function parameter(p: Json): Writer {
  let param: Writer
  if (p.in === 'body') {
    param = new Writer().message(1, new Writer().string(1, p.description).string(2, p.name).string(3, 'body').bool(4, p.required).message(5, schema(p.schema)))
  } else if (p.in === 'path') {
    const sub = new Writer().bool(1, true).string(2, 'path').string(3, p.description).string(4, p.name).string(5, p.type).bool(19, p.uniqueItems)
    param = new Writer().message(2, new Writer().message(4, sub))
  } else {
    const sub = new Writer().bool(1, p.required).string(2, 'query').string(3, p.description).string(4, p.name).string(6, p.type).bool(20, p.uniqueItems)
    param = new Writer().message(2, new Writer().message(3, sub))
  }
  return new Writer().message(1, param)
}

function operation(op: Json): Writer {
  const w = new Writer().strings(1, op.tags).string(3, op.description).string(5, op.operationId).strings(6, op.produces).strings(7, op.consumes)
  for (const p of Array.isArray(op.parameters) ? op.parameters : []) if (isObj(p)) w.message(8, parameter(p))
  const responses = new Writer()
  for (const [code, r] of Object.entries(isObj(op.responses) ? op.responses : {})) {
    if (!isObj(r)) continue
    const resp = new Writer().string(1, String(r.description ?? ''))
    if (r.schema) resp.message(2, new Writer().message(1, schema(r.schema)))
    responses.message(1, new Writer().string(1, code).message(2, new Writer().message(1, resp)))
  }
  w.message(9, responses).strings(10, op.schemes)
  vendorExtensions(w, 13, op)
  return w
}

const PATH_OPS: [string, number][] = [
  ['get', 2],
  ['put', 3],
  ['post', 4],
  ['delete', 5],
  ['options', 6],
  ['head', 7],
  ['patch', 8],
]

export function encodeOpenapiV2Document(doc: Json): Uint8Array {
  const w = new Writer().string(1, doc.swagger)
  const info = isObj(doc.info) ? doc.info : {}
  w.message(2, new Writer().string(1, info.title).string(2, info.version))
  const paths = new Writer()
  for (const [path, item] of Object.entries(isObj(doc.paths) ? doc.paths : {})) {
    if (!isObj(item)) continue
    const pi = new Writer()
    for (const [m, f] of PATH_OPS) if (isObj(item[m])) pi.message(f, operation(item[m] as Json))
    for (const p of Array.isArray(item.parameters) ? item.parameters : []) if (isObj(p)) pi.message(9, parameter(p))
    paths.message(2, new Writer().string(1, path).message(2, pi))
  }
  w.message(8, paths)
  const defs = new Writer()
  for (const [name, s] of Object.entries(isObj(doc.definitions) ? doc.definitions : {})) defs.message(1, new Writer().string(1, name).message(2, schema(s)))
  w.message(9, defs)
  return w.finish()
}
