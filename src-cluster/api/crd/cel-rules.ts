// CRD validation rules (`x-kubernetes-validations`), as upstream's apiextensions CEL validator:
// each rule is a CEL expression over `self` (the value at the schema node) and, for transition
// rules (those that read `oldSelf`), the old value at the same place — found through object
// properties, map values and `x-kubernetes-list-type: map` items by key; on create, or where no
// old value correlates, transition rules are skipped unless `optionalOldSelf` (then oldSelf is a
// CEL optional: `oldSelf.hasValue()`, `oldSelf.orValue(…)`). A false rule is a field error at the node
// (or at `fieldPath` below it) with `message`, `messageExpression` or `failed rule: RULE`, typed
// by `reason` (FieldValueInvalid by default, badValue the schema type as upstream prints it).
import { celOptional, compile, compileError, CRD_RULE_VARIABLES, type CelProgram } from '../../apiserver/cel'
import type { FieldError } from '../errors'
import type { JSONSchemaProps } from './types'

interface Rule {
  rule?: string
  message?: string
  messageExpression?: string
  reason?: string
  fieldPath?: string
  optionalOldSelf?: boolean
}

type Obj = Record<string, unknown>
const isObj = (v: unknown): v is Obj => !!v && typeof v === 'object' && !Array.isArray(v)

const programs = new Map<string, CelProgram>()
function program(expr: string): CelProgram {
  let p = programs.get(expr)
  if (!p) {
    p = compile(expr, CRD_RULE_VARIABLES)
    if (programs.size > 2000) programs.clear()
    programs.set(expr, p)
  }
  return p
}

const isTransition = (expr: string): boolean => /\boldSelf\b/.test(expr)
const REASONS = ['FieldValueInvalid', 'FieldValueForbidden', 'FieldValueRequired', 'FieldValueDuplicate']

function typeName(s: JSONSchemaProps, v: unknown): string {
  if (s.type) return s.type
  if (s['x-kubernetes-int-or-string']) return typeof v === 'string' ? 'string' : 'integer'
  return Array.isArray(v) ? 'array' : isObj(v) ? 'object' : typeof v
}

/** `spec` + `.replicas` → `spec.replicas`; at the root `.spec` → `spec`. */
function under(path: string, fieldPath: string | undefined): string {
  if (!fieldPath) return path || '<nil>'
  if (!path) return fieldPath.replace(/^\./, '')
  return path + (fieldPath.startsWith('[') ? '' : fieldPath.startsWith('.') ? '' : '.') + fieldPath
}

function ruleError(rule: Rule, field: string, type: string, message: string): FieldError {
  switch (rule.reason) {
    case 'FieldValueForbidden':
      return { type: 'FieldValueForbidden', field, detail: message }
    case 'FieldValueRequired':
      return { type: 'FieldValueRequired', field, detail: message }
    case 'FieldValueDuplicate':
      return { type: 'FieldValueDuplicate', field, badValue: type }
    default:
      return { type: 'FieldValueInvalid', field, badValue: type, detail: message }
  }
}

function runRules(v: unknown, old: unknown, s: JSONSchemaProps, path: string, errs: FieldError[]): void {
  const rules = (s['x-kubernetes-validations'] ?? []) as Rule[]
  for (const r of rules) {
    const expr = r.rule ?? ''
    const transition = isTransition(expr)
    if (transition && old === undefined && !r.optionalOldSelf) continue
    const type = typeName(s, v)
    const field = path || '<nil>'
    const activation = transition ? { self: v, oldSelf: r.optionalOldSelf ? celOptional(old) : old } : { self: v }
    let ok: unknown
    try {
      ok = program(expr).evaluate(activation)
    } catch (e) {
      errs.push({ type: 'FieldValueInvalid', field, badValue: type, detail: `rule evaluation error: ${e instanceof Error ? e.message : String(e)}` })
      continue
    }
    if (ok === true) continue
    let message = r.message || `failed rule: ${expr.trim()}`
    if (r.messageExpression) {
      try {
        const m = program(r.messageExpression).evaluate(activation)
        if (typeof m === 'string' && m.trim() !== '') message = m
      } catch {
        // upstream falls back to message (or the default) when messageExpression fails
      }
    }
    errs.push(ruleError(r, r.fieldPath ? under(path, r.fieldPath) : field, type, message))
  }
}

function walk(v: unknown, old: unknown, s: JSONSchemaProps, path: string, errs: FieldError[]): void {
  if (v === null || v === undefined) return
  runRules(v, old, s, path, errs)
  if (isObj(v)) {
    for (const [k, x] of Object.entries(v)) {
      const ps = s.properties?.[k] ?? (isObj(s.additionalProperties) ? (s.additionalProperties as JSONSchemaProps) : undefined)
      if (ps) walk(x, isObj(old) ? old[k] : undefined, ps, path ? `${path}.${k}` : k, errs)
    }
  }
  if (Array.isArray(v)) {
    const it = Array.isArray(s.items) ? s.items[0] : s.items
    if (!it) return
    const keys = s['x-kubernetes-list-type'] === 'map' ? (s['x-kubernetes-list-map-keys'] ?? []) : undefined
    const oldList = Array.isArray(old) ? old : []
    v.forEach((x, i) => {
      let o: unknown
      if (keys?.length && isObj(x)) o = oldList.find((y) => isObj(y) && keys.every((k) => y[k] === x[k]))
      walk(x, o, it, `${path}[${i}]`, errs)
    })
  }
}

/** Whether any node of the schema carries validation rules (most CRDs have none). */
export function hasRules(schema: JSONSchemaProps | undefined): boolean {
  if (!schema) return false
  if ((schema['x-kubernetes-validations'] ?? []).length) return true
  if (Object.values(schema.properties ?? {}).some(hasRules)) return true
  if (isObj(schema.additionalProperties) && hasRules(schema.additionalProperties as JSONSchemaProps)) return true
  const it = Array.isArray(schema.items) ? schema.items[0] : schema.items
  return hasRules(it)
}

/** The rule errors of a custom resource (old: the stored object on update). */
export function validateRules(obj: Obj, old: Obj | undefined, schema: JSONSchemaProps): FieldError[] {
  const errs: FieldError[] = []
  walk(obj, old, schema, '', errs)
  return errs
}

/** CRD validation of the rules themselves: each compiles, with upstream's paths and words. */
export function ruleSchemaErrors(schema: JSONSchemaProps | undefined, path: string): FieldError[] {
  if (!schema) return []
  const errs: FieldError[] = []
  ;((schema['x-kubernetes-validations'] ?? []) as Rule[]).forEach((r, i) => {
    const p = `${path}.x-kubernetes-validations[${i}]`
    if (!r.rule) errs.push({ type: 'FieldValueRequired', field: `${p}.rule` })
    else {
      const why = compileError(r.rule, CRD_RULE_VARIABLES)
      if (why) errs.push({ type: 'FieldValueInvalid', field: `${p}.rule`, badValue: r.rule, detail: `compilation failed: ${why}` })
    }
    if (r.messageExpression !== undefined) {
      const why = compileError(r.messageExpression, CRD_RULE_VARIABLES)
      if (why) errs.push({ type: 'FieldValueInvalid', field: `${p}.messageExpression`, badValue: r.messageExpression, detail: `compilation failed: ${why}` })
    }
    if (r.message?.includes('\n'))
      errs.push({ type: 'FieldValueInvalid', field: `${p}.message`, badValue: r.message, detail: 'message must not contain line breaks' })
    if (r.reason !== undefined && !REASONS.includes(r.reason))
      errs.push({ type: 'FieldValueNotSupported', field: `${p}.reason`, badValue: r.reason, supported: REASONS })
    if (r.fieldPath !== undefined && !/^(\.[A-Za-z_][\w-]*|\[['"][^'"]*['"]\]|\[\d+\])+$/.test(r.fieldPath))
      errs.push({ type: 'FieldValueInvalid', field: `${p}.fieldPath`, badValue: r.fieldPath, detail: 'fieldPath must be a valid path' })
  })
  for (const [k, ps] of Object.entries(schema.properties ?? {})) errs.push(...ruleSchemaErrors(ps, `${path}.properties[${k}]`))
  if (isObj(schema.additionalProperties)) errs.push(...ruleSchemaErrors(schema.additionalProperties as JSONSchemaProps, `${path}.additionalProperties`))
  const it = Array.isArray(schema.items) ? schema.items[0] : schema.items
  if (it) errs.push(...ruleSchemaErrors(it, `${path}.items`))
  return errs
}
