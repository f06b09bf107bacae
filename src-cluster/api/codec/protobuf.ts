// Decoding of Kubernetes protobuf request bodies (kubectl 1.32 sends `create ...` bodies as
// application/vnd.kubernetes.protobuf). The envelope is runtime.Unknown after the magic "k8s\0";
// the payload is decoded with the schema's protobuf field numbers into the JSON shape.
import protobuf from 'protobufjs/minimal'
import type { Field, FieldType, Struct } from '../schema/dsl'
import { BadRequestError } from '../errors'
import type { KubeObject } from '../object'
import { PROTO_EMBEDS, structForKind } from '../schema/index'
import { registryLookup, resolveStruct, type Lookup } from '../schema/walk'
import { formatGoDuration } from './duration'

const { Reader } = protobuf
type ReaderT = InstanceType<typeof Reader>

export const PROTOBUF_CONTENT_TYPE = 'application/vnd.kubernetes.protobuf'
const MAGIC = [0x6b, 0x38, 0x73, 0x00]

export type KindFinder = (group: string, version: string, kind: string) => Struct | undefined

/**
 * A Go struct embedded in `struct`: JSON flattens its `fields` into the parent, protobuf keeps
 * them in one nested message at field `n` (numbered as inside that message).
 */
export interface ProtoEmbedInfo {
  readonly struct: string
  readonly n: number
  readonly fields: readonly string[]
}
export type EmbedFinder = (structName: string) => readonly ProtoEmbedInfo[] | undefined

const registryEmbeds: EmbedFinder = (name) => PROTO_EMBEDS.get(name)

interface Ctx {
  lookup: Lookup
  embeds: EmbedFinder
}

export function isProtobuf(contentType: string | undefined): boolean {
  if (!contentType) return false
  return contentType.split(';')[0].trim().toLowerCase() === PROTOBUF_CONTENT_TYPE
}

/** runtime.Unknown, the envelope of every protobuf body. */
export interface UnknownEnvelope {
  apiVersion: string
  kind: string
  raw: Uint8Array
  contentEncoding: string
  contentType: string
}

export function decodeEnvelope(body: Uint8Array): UnknownEnvelope {
  if (body.length < 4 || MAGIC.some((b, i) => body[i] !== b)) {
    throw new BadRequestError('protobuf body: missing the "k8s\\x00" magic prefix; send a Kubernetes protobuf envelope or use application/json')
  }
  const env: UnknownEnvelope = { apiVersion: '', kind: '', raw: new Uint8Array(0), contentEncoding: '', contentType: '' }
  guard('runtime.Unknown', () => {
    const r = new Reader(body.subarray(4))
    while (r.pos < r.len) {
      const tag = r.uint32()
      const no = tag >>> 3
      const wt = tag & 7
      if (no >= 1 && no <= 4 && wt !== 2) throw new BadRequestError(`protobuf body: runtime.Unknown field ${no} has wire type ${wt}, expected 2`)
      if (no === 1) {
        const tm = new Reader(r.bytes())
        while (tm.pos < tm.len) {
          const t = tm.uint32()
          if (t >>> 3 === 1 && (t & 7) === 2) env.apiVersion = tm.string()
          else if (t >>> 3 === 2 && (t & 7) === 2) env.kind = tm.string()
          else tm.skipType(t & 7)
        }
      } else if (no === 2) env.raw = r.bytes()
      else if (no === 3) env.contentEncoding = r.string()
      else if (no === 4) env.contentType = r.string()
      else r.skipType(wt)
    }
  })
  return env
}

/**
 * Decodes a whole protobuf request body into the JSON object it stands for, with apiVersion and
 * kind set. Throws BadRequestError for anything malformed or of an unknown kind.
 */
export function decodeProtobufObject(
  body: Uint8Array,
  lookup: Lookup = registryLookup,
  forKind: KindFinder = structForKind,
  embeds: EmbedFinder = registryEmbeds,
): KubeObject {
  const env = decodeEnvelope(body)
  if (!env.apiVersion || !env.kind) throw new BadRequestError('protobuf body: the envelope has no apiVersion/kind (typeMeta)')
  if (env.contentEncoding) throw new BadRequestError(`protobuf body: content encoding "${env.contentEncoding}" is not supported`)
  const slash = env.apiVersion.indexOf('/')
  const group = slash < 0 ? '' : env.apiVersion.slice(0, slash)
  const version = slash < 0 ? env.apiVersion : env.apiVersion.slice(slash + 1)
  const s = forKind(group, version, env.kind)
  if (!s) throw new BadRequestError(`protobuf body: no kind "${env.kind}" is registered for version "${env.apiVersion}"`)
  const obj = decodeProtobufMessage(env.raw, s, lookup, embeds)
  return { apiVersion: env.apiVersion, kind: env.kind, ...obj }
}

/** Decodes one message of the given struct into its JSON shape (no apiVersion/kind). */
export function decodeProtobufMessage(
  bytes: Uint8Array,
  struct: Struct | string,
  lookup: Lookup = registryLookup,
  embeds: EmbedFinder = registryEmbeds,
): Record<string, unknown> {
  const s = resolveStruct(struct, lookup)
  return guard(s.name, () => decodeStruct(bytes, s, { lookup, embeds }))
}

/** Turns the reader's RangeErrors into a 400 that says what was being read. */
function guard<T>(what: string, fn: () => T): T {
  try {
    return fn()
  } catch (e) {
    if (e instanceof BadRequestError) throw e
    const msg = e instanceof Error ? e.message : String(e)
    throw new BadRequestError(`protobuf body: truncated or malformed ${what} (${msg})`)
  }
}

interface WireLayout {
  /** Direct fields by protobuf number. */
  fields: Map<number, [string, Field]>
  /** Embedded messages by protobuf number: a synthetic struct holding the flattened fields. */
  embedded: Map<number, Struct>
}
const layoutCache = new WeakMap<Struct, WireLayout>()
function layoutOf(s: Struct, embeds: EmbedFinder): WireLayout {
  let l = layoutCache.get(s)
  if (l) return l
  const inEmbed = new Set<string>()
  const embedded = new Map<number, Struct>()
  for (const e of embeds(s.name) ?? []) {
    const fields: Record<string, Field> = {}
    for (const name of e.fields) {
      const f = s.fields[name]
      if (!f) continue
      fields[name] = f
      inEmbed.add(name)
    }
    embedded.set(e.n, { name: `${s.name}(embedded ${e.n})`, doc: '', fields })
  }
  const direct = new Map<number, [string, Field]>()
  for (const [name, f] of Object.entries(s.fields)) if (f.n > 0 && !inEmbed.has(name)) direct.set(f.n, [name, f])
  l = { fields: direct, embedded }
  layoutCache.set(s, l)
  return l
}

function decodeStruct(bytes: Uint8Array, s: Struct, ctx: Ctx): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  const { fields, embedded } = layoutOf(s, ctx.embeds)
  const r = new Reader(bytes)
  while (r.pos < r.len) {
    const tag = r.uint32()
    const no = tag >>> 3
    const wt = tag & 7
    if (no === 0) throw new BadRequestError(`protobuf body: field number 0 in ${s.name}`)
    const embed = embedded.get(no)
    if (embed) {
      expectWire(wt, 2, `${s.name} embedded field ${no}`)
      Object.assign(out, decodeStruct(r.bytes(), embed, ctx))
      continue
    }
    const entry = fields.get(no)
    if (!entry) {
      r.skipType(wt)
      continue
    }
    const [name, field] = entry
    const t = field.type
    const where = `${s.name}.${name}`
    if (t.t === 'list') {
      const list = (out[name] as unknown[] | undefined) ?? []
      out[name] = list
      if (wt === 2 && isVarintScalar(t.of)) {
        const packed = new Reader(r.bytes())
        while (packed.pos < packed.len) list.push(readScalarVarint(packed, t.of))
      } else list.push(decodeListItem(r, wt, t.of, where, ctx))
    } else if (t.t === 'map') {
      expectWire(wt, 2, where)
      const m = (out[name] as Record<string, unknown> | undefined) ?? {}
      out[name] = m
      const [k, v] = decodeMapEntry(r.bytes(), t.of, where, ctx)
      m[k] = v
    } else {
      const v = decodeSingle(r, wt, t, where, ctx)
      if (v === undefined) delete out[name]
      else out[name] = v
    }
  }
  // Go writes non-pointer fields even when empty; JSON would have omitted them.
  for (const [name, field] of Object.entries(s.fields)) {
    if (name in out && !field.ptr && isZero(out[name])) delete out[name]
  }
  return out
}

function isZero(v: unknown): boolean {
  if (v === '' || v === 0 || v === false) return true
  if (Array.isArray(v)) return v.length === 0
  if (typeof v === 'object' && v !== null) return Object.keys(v).length === 0
  return false
}

function isVarintScalar(t: FieldType): boolean {
  return t.t === 'bool' || t.t === 'int32' || t.t === 'int64'
}

function readScalarVarint(r: ReaderT, t: FieldType): number | boolean {
  if (t.t === 'bool') return r.bool()
  if (t.t === 'int32') return r.int32()
  return longToNumber(r.int64())
}

function longToNumber(v: unknown): number {
  if (typeof v === 'number') return v
  const l = v as { low: number; high: number }
  return l.high * 4294967296 + (l.low >>> 0)
}

function expectWire(got: number, want: number, where: string): void {
  if (got !== want) throw new BadRequestError(`protobuf body: ${where} has wire type ${got}, expected ${want}`)
}

/** A list element; nested lists (and map values that are lists) travel as a message {1: repeated}. */
function decodeListItem(r: ReaderT, wt: number, t: FieldType, where: string, ctx: Ctx): unknown {
  if (t.t === 'list' || t.t === 'map') {
    expectWire(wt, 2, where)
    return decodeWrapped(r.bytes(), t, where, ctx)
  }
  const v = decodeSingle(r, wt, t, where, ctx)
  // Inside lists an empty message still counts as an element.
  if (v === undefined) return t.t === 'ref' || t.t === 'raw' ? {} : null
  return v
}

function decodeWrapped(bytes: Uint8Array, t: FieldType, where: string, ctx: Ctx): unknown {
  const holder: Struct = { name: where, doc: '', fields: { items: { n: 1, type: t, doc: '' } } }
  const v = decodeStruct(bytes, holder, ctx).items
  return v ?? (t.t === 'list' ? [] : {})
}

function decodeMapEntry(bytes: Uint8Array, t: FieldType, where: string, ctx: Ctx): [string, unknown] {
  const r = new Reader(bytes)
  let key = ''
  let value: unknown
  while (r.pos < r.len) {
    const tag = r.uint32()
    const no = tag >>> 3
    const wt = tag & 7
    if (no === 1) {
      expectWire(wt, 2, `${where} map key`)
      key = r.string()
    } else if (no === 2) {
      value = t.t === 'list' || t.t === 'map' ? (expectWire(wt, 2, where), decodeWrapped(r.bytes(), t, where, ctx)) : decodeSingle(r, wt, t, where, ctx)
    } else r.skipType(wt)
  }
  // An absent value is the zero value of its type.
  if (value === undefined) value = zeroOf(t)
  return [key, value]
}

function zeroOf(t: FieldType): unknown {
  switch (t.t) {
    case 'string':
    case 'bytes':
      return ''
    case 'bool':
      return false
    case 'int32':
    case 'int64':
    case 'double':
      return 0
    case 'list':
      return []
    case 'quantity':
      return '0'
    default:
      return {}
  }
}

/** One non-repeated value; undefined means "unset" (an empty Time). */
function decodeSingle(r: ReaderT, wt: number, t: FieldType, where: string, ctx: Ctx): unknown {
  switch (t.t) {
    case 'string':
      expectWire(wt, 2, where)
      return r.string()
    case 'bool':
      expectWire(wt, 0, where)
      return r.bool()
    case 'int32':
      expectWire(wt, 0, where)
      return r.int32()
    case 'int64':
      expectWire(wt, 0, where)
      return longToNumber(r.int64())
    case 'double':
      expectWire(wt, 1, where)
      return r.double()
    case 'bytes':
      expectWire(wt, 2, where)
      return Buffer.from(r.bytes()).toString('base64')
    case 'ref':
      expectWire(wt, 2, where)
      return decodeStruct(r.bytes(), ctx.lookup(t.name), ctx)
    case 'list':
    case 'map':
      expectWire(wt, 2, where)
      return decodeWrapped(r.bytes(), t, where, ctx)
    default:
      expectWire(wt, 2, where)
      return decodeSpecial(r.bytes(), t.t, where)
  }
}

/** Reads the fields of a small well-known message as number → raw value. */
function readSmall(bytes: Uint8Array, where: string): Map<number, unknown> {
  const m = new Map<number, unknown>()
  const r = new Reader(bytes)
  while (r.pos < r.len) {
    const tag = r.uint32()
    const no = tag >>> 3
    const wt = tag & 7
    if (wt === 0) m.set(no, r.int64())
    else if (wt === 2) m.set(no, r.bytes())
    else if (no <= 4) throw new BadRequestError(`protobuf body: ${where} field ${no} has unexpected wire type ${wt}`)
    else r.skipType(wt)
  }
  return m
}

const utf8 = new TextDecoder('utf-8')
function str(v: unknown): string {
  return v instanceof Uint8Array ? utf8.decode(v) : ''
}
function num(v: unknown): number {
  return v === undefined ? 0 : longToNumber(v)
}

function decodeSpecial(bytes: Uint8Array, kind: string, where: string): unknown {
  const m = readSmall(bytes, where)
  switch (kind) {
    case 'quantity':
      return str(m.get(1))
    case 'intOrString':
      return num(m.get(1)) === 1 ? str(m.get(3)) : num(m.get(2)) | 0
    case 'time':
    case 'microTime': {
      if (m.size === 0) return undefined
      return formatTime(num(m.get(1)), num(m.get(2)), kind === 'microTime')
    }
    case 'duration':
      return formatGoDuration(num(m.get(1)))
    case 'raw': {
      const raw = m.get(1)
      if (!(raw instanceof Uint8Array) || raw.length === 0) return {}
      try {
        return JSON.parse(utf8.decode(raw)) as unknown
      } catch {
        throw new BadRequestError(`protobuf body: ${where} holds an embedded object that is not JSON`)
      }
    }
    default:
      throw new BadRequestError(`protobuf body: ${where} has a type (${kind}) the decoder does not know`)
  }
}

/** RFC 3339 in UTC: seconds precision for Time, 6 fraction digits for MicroTime. */
export function formatTime(seconds: number, nanos: number, micro: boolean): string {
  const base = new Date(seconds * 1000).toISOString().slice(0, 19)
  if (!micro) return `${base}Z`
  return `${base}.${String(Math.floor(nanos / 1000)).padStart(6, '0')}Z`
}
