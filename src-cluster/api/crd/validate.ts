// Validation of a custom resource against its schema, with the messages upstream's
// kube-openapi validator gives (`spec.replicas in body must be of type integer: "string"`).
import type { FieldError } from '../errors'
import type { KubeObject } from '../object'
import { fieldErr } from '../errors'
import type { JSONSchemaProps } from './types'

type Obj = Record<string, unknown>
const isObj = (v: unknown): v is Obj => !!v && typeof v === 'object' && !Array.isArray(v)

/** The JSON type name of a value, as the validator reports it. */
function jsonType(v: unknown): string {
  if (v === null) return 'null'
  if (Array.isArray(v)) return 'array'
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number'
  return typeof v === 'object' ? 'object' : typeof v === 'boolean' ? 'boolean' : 'string'
}

function typeMatches(want: string, v: unknown): boolean {
  const t = jsonType(v)
  if (want === 'number') return t === 'number' || t === 'integer'
  return t === want
}

function itemsOf(s: JSONSchemaProps): JSONSchemaProps | undefined {
  return Array.isArray(s.items) ? s.items[0] : s.items
}

const join = (path: string, key: string): string => (path ? `${path}.${key}` : key)
const FORMATS: Record<string, RegExp> = {
  'date-time': /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/,
  date: /^\d{4}-\d{2}-\d{2}$/,
  uuid: /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/,
  ipv4: /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/,
}

function check(v: unknown, s: JSONSchemaProps, path: string, errs: FieldError[]): void {
  const where = path || '<root>'
  if (v === null) {
    if (s.nullable || s['x-kubernetes-preserve-unknown-fields']) return
    if (s.type) errs.push(fieldErr.invalid(where, 'null', `${where} in body must be of type ${s.type}: "null"`))
    return
  }
  if (s['x-kubernetes-int-or-string']) {
    const t = jsonType(v)
    if (t !== 'integer' && t !== 'string') errs.push(fieldErr.invalid(where, t, `${where} in body must be of type integer,string: ${JSON.stringify(t)}`))
  } else if (s.type && !typeMatches(s.type, v)) {
    const t = jsonType(v)
    errs.push(fieldErr.invalid(where, t, `${where} in body must be of type ${s.type}: ${JSON.stringify(t)}`))
    return
  }
  if (s.enum && !s.enum.some((e) => JSON.stringify(e) === JSON.stringify(v))) {
    errs.push(
      fieldErr.notSupported(
        where,
        v,
        s.enum.map((e) => (typeof e === 'string' ? e : JSON.stringify(e))),
      ),
    )
  }
  if (typeof v === 'number') {
    if (s.minimum !== undefined && (s.exclusiveMinimum ? v <= s.minimum : v < s.minimum)) {
      errs.push(fieldErr.invalid(where, v, `${where} in body should be greater than ${s.exclusiveMinimum ? '' : 'or equal to '}${s.minimum}`))
    }
    if (s.maximum !== undefined && (s.exclusiveMaximum ? v >= s.maximum : v > s.maximum)) {
      errs.push(fieldErr.invalid(where, v, `${where} in body should be less than ${s.exclusiveMaximum ? '' : 'or equal to '}${s.maximum}`))
    }
    if (s.multipleOf && !Number.isInteger(v / s.multipleOf)) errs.push(fieldErr.invalid(where, v, `${where} in body should be a multiple of ${s.multipleOf}`))
  }
  if (typeof v === 'string') {
    const len = [...v].length
    if (s.maxLength !== undefined && len > s.maxLength)
      errs.push({ type: 'FieldValueTooLong', field: where, detail: `may not be more than ${s.maxLength} bytes` })
    if (s.minLength !== undefined && len < s.minLength) errs.push(fieldErr.invalid(where, v, `${where} in body should be at least ${s.minLength} chars long`))
    if (s.pattern !== undefined) {
      let re: RegExp | undefined
      try {
        re = new RegExp(s.pattern, 'u')
      } catch {
        re = undefined
      }
      if (re && !re.test(v)) errs.push(fieldErr.invalid(where, v, `${where} in body should match '${s.pattern}'`))
    }
    const fmt = s.format ? FORMATS[s.format] : undefined
    if (fmt && !fmt.test(v)) errs.push(fieldErr.invalid(where, v, `${where} in body must be of type ${s.format}: ${JSON.stringify(v)}`))
  }
  if (Array.isArray(v)) {
    if (s.maxItems !== undefined && v.length > s.maxItems)
      errs.push({ type: 'FieldValueTooMany', field: where, badValue: v.length, detail: `must have at most ${s.maxItems} items` })
    if (s.minItems !== undefined && v.length < s.minItems)
      errs.push(fieldErr.invalid(where, v.length, `${where} in body should have at least ${s.minItems} items`))
    const it = itemsOf(s)
    if (it) v.forEach((x, i) => check(x, it, `${path}[${i}]`, errs))
    if (s['x-kubernetes-list-type'] === 'set' || s['x-kubernetes-list-type'] === 'map') {
      const keys = s['x-kubernetes-list-map-keys']
      const seen = new Set<string>()
      v.forEach((x, i) => {
        const k = JSON.stringify(keys && isObj(x) ? keys.map((kk) => x[kk]) : x)
        if (seen.has(k)) errs.push(fieldErr.duplicate(`${path}[${i}]`, keys && isObj(x) ? Object.fromEntries(keys.map((kk) => [kk, x[kk]])) : x))
        seen.add(k)
      })
    }
  }
  if (isObj(v)) {
    for (const r of s.required ?? []) if (!(r in v)) errs.push(fieldErr.required(join(path, r)))
    const n = Object.keys(v).length
    if (s.maxProperties !== undefined && n > s.maxProperties)
      errs.push({ type: 'FieldValueTooMany', field: where, badValue: n, detail: `must have at most ${s.maxProperties} items` })
    if (s.minProperties !== undefined && n < s.minProperties)
      errs.push(fieldErr.invalid(where, n, `${where} in body should have at least ${s.minProperties} properties`))
    if (s['x-kubernetes-embedded-resource']) {
      if (typeof v.apiVersion !== 'string' || !v.apiVersion) errs.push(fieldErr.required(join(path, 'apiVersion'), 'must not be empty'))
      if (typeof v.kind !== 'string' || !v.kind) errs.push(fieldErr.required(join(path, 'kind'), 'must not be empty'))
    }
    for (const [k, x] of Object.entries(v)) {
      const ps = s.properties?.[k] ?? (isObj(s.additionalProperties) ? (s.additionalProperties as JSONSchemaProps) : undefined)
      if (ps) check(x, ps, join(path, k), errs)
    }
  }
  for (const sub of s.allOf ?? []) check(v, sub, path, errs)
  if (s.anyOf?.length) {
    const ok = s.anyOf.some((sub) => {
      const e: FieldError[] = []
      check(v, { ...sub, type: sub.type }, path, e)
      return e.length === 0
    })
    if (!ok) errs.push(fieldErr.invalid(where, v, `${where} in body must match at least one schema in anyOf`))
  }
  if (s.oneOf?.length) {
    const n = s.oneOf.filter((sub) => {
      const e: FieldError[] = []
      check(v, sub, path, e)
      return e.length === 0
    }).length
    if (n !== 1) errs.push(fieldErr.invalid(where, v, `${where} in body must validate one and only one schema (oneOf)`))
  }
  if (s.not) {
    const e: FieldError[] = []
    check(v, s.not, path, e)
    if (e.length === 0) errs.push(fieldErr.invalid(where, v, `${where} in body should not validate the schema (not)`))
  }
}

/** Schema errors of a custom resource (metadata is the server's: not checked here). */
export function validateAgainstSchema(obj: KubeObject, schema: JSONSchemaProps): FieldError[] {
  const errs: FieldError[] = []
  const { metadata: _m, apiVersion: _a, kind: _k, ...rest } = obj
  const rootSchema: JSONSchemaProps = { ...schema, properties: { ...(schema.properties ?? {}) } }
  delete rootSchema.properties!.metadata
  delete rootSchema.properties!.apiVersion
  delete rootSchema.properties!.kind
  rootSchema.required = (schema.required ?? []).filter((r) => r !== 'metadata' && r !== 'apiVersion' && r !== 'kind')
  check(rest, rootSchema, '', errs)
  return errs
}
