// Helpers for the per-kind validation modules: safe readers and a collector of field errors.
import { isPlainObject } from '../schema/walk'
import type { FieldError } from '../errors'

export type Obj = Record<string, unknown>
export type Errs = FieldError[]

export function child(value: unknown, key: string): Obj | undefined {
  const v = isPlainObject(value) ? value[key] : undefined
  return isPlainObject(v) ? v : undefined
}
export function items(value: unknown, key: string): Obj[] {
  const v = isPlainObject(value) ? value[key] : undefined
  return Array.isArray(v) ? v.filter(isPlainObject) : []
}
export function strings(value: unknown, key: string): string[] {
  const v = isPlainObject(value) ? value[key] : undefined
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []
}
export function str(value: unknown, key: string): string | undefined {
  const v = isPlainObject(value) ? value[key] : undefined
  return typeof v === 'string' ? v : undefined
}
export function num(value: unknown, key: string): number | undefined {
  const v = isPlainObject(value) ? value[key] : undefined
  return typeof v === 'number' ? v : undefined
}
export function has(value: unknown, key: string): boolean {
  return isPlainObject(value) && value[key] !== undefined && value[key] !== null
}
export function stringMap(value: unknown, key: string): Record<string, string> {
  const v = child(value, key)
  const out: Record<string, string> = {}
  if (v) for (const [k, x] of Object.entries(v)) if (typeof x === 'string') out[k] = x
  return out
}

/** Deep equality of JSON values. */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => jsonEqual(x, b[i]))
  if (isPlainObject(a) && isPlainObject(b)) {
    const ka = Object.keys(a).filter((k) => a[k] !== undefined)
    const kb = Object.keys(b).filter((k) => b[k] !== undefined)
    return ka.length === kb.length && ka.every((k) => jsonEqual(a[k], b[k]))
  }
  return false
}

export function nonNegative(errs: Errs, obj: Obj | undefined, key: string, path: string): void {
  const v = num(obj, key)
  if (v !== undefined && v < 0) errs.push({ type: 'FieldValueInvalid', field: path, badValue: v, detail: 'must be greater than or equal to 0' })
}
