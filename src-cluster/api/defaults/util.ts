// Tiny helpers for defaulting code: read nested objects safely, fill absent fields.
import { isPlainObject } from '../schema/walk'

export type Obj = Record<string, unknown>

/** The object at o[key], or undefined when absent or not an object. */
export function child(o: Obj | undefined, key: string): Obj | undefined {
  const v = o?.[key]
  return isPlainObject(v) ? v : undefined
}

/** The object at o[key], created empty when absent. */
export function ensure(o: Obj, key: string): Obj {
  const v = o[key]
  if (isPlainObject(v)) return v
  const created: Obj = {}
  o[key] = created
  return created
}

export function items(o: Obj | undefined, key: string): Obj[] {
  const v = o?.[key]
  return Array.isArray(v) ? v.filter(isPlainObject) : []
}

export function setDefault(o: Obj, key: string, value: unknown): void {
  if (o[key] === undefined || o[key] === null) o[key] = value
}
