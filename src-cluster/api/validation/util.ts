// Helpers for the per-kind validation modules: safe readers and a collector of field errors.
import { isPlainObject } from '../schema/walk'
import type { FieldError } from '../errors'

export type Obj = Record<string, unknown>
export type Errs = FieldError[]

export function child(o: unknown, key: string): Obj | undefined {
  const v = isPlainObject(o) ? o[key] : undefined
  return isPlainObject(v) ? v : undefined
}
export function items(o: unknown, key: string): Obj[] {
  const v = isPlainObject(o) ? o[key] : undefined
  return Array.isArray(v) ? v.filter(isPlainObject) : []
}
export function strings(o: unknown, key: string): string[] {
  const v = isPlainObject(o) ? o[key] : undefined
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []
}
export function str(o: unknown, key: string): string | undefined {
  const v = isPlainObject(o) ? o[key] : undefined
  return typeof v === 'string' ? v : undefined
}
export function num(o: unknown, key: string): number | undefined {
  const v = isPlainObject(o) ? o[key] : undefined
  return typeof v === 'number' ? v : undefined
}
export function has(o: unknown, key: string): boolean {
  return isPlainObject(o) && o[key] !== undefined && o[key] !== null
}
export function stringMap(o: unknown, key: string): Record<string, string> {
  const v = child(o, key)
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

export function nonNegative(errs: Errs, o: Obj | undefined, key: string, path: string): void {
  const v = num(o, key)
  if (v !== undefined && v < 0) errs.push({ type: 'FieldValueInvalid', field: path, badValue: v, detail: 'must be greater than or equal to 0' })
}
