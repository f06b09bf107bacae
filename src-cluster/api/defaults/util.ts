// Tiny helpers for defaulting code: read nested objects safely, fill absent fields.
import { isPlainObject } from '../schema/walk'

export type Obj = Record<string, unknown>

/** The object at o[key], or undefined when absent or not an object. */
export function child(obj: Obj | undefined, key: string): Obj | undefined {
  const v = obj?.[key]
  return isPlainObject(v) ? v : undefined
}

/** The object at o[key], created empty when absent. */
export function ensure(obj: Obj, key: string): Obj {
  const v = obj[key]
  if (isPlainObject(v)) return v
  const created: Obj = {}
  obj[key] = created
  return created
}

export function items(obj: Obj | undefined, key: string): Obj[] {
  const v = obj?.[key]
  return Array.isArray(v) ? v.filter(isPlainObject) : []
}

export function setDefault(obj: Obj, key: string, value: unknown): void {
  if (obj[key] === undefined || obj[key] === null) obj[key] = value
}
