// The one parameter-validation kit of the backend. Params arrive from the renderer (an untrusted
// transport) and are checked before they reach a service: each checker throws a ParamError
// whose message names the request and the bad field, and `parseObject`/`parseWith` turn it into
// the `bad_params` error value the dispatcher answers.
import type { Reply } from '../contract'
import { ok, rpcError } from '../contract'

export type Fields = Record<string, unknown>

export class ParamError extends Error {}

/** Checks that `raw` is an object of params and reads it with `read`; ParamError → bad_params. */
export function parseObject<T>(request: string, raw: unknown, read: (f: Fields) => T): Reply<T> {
  return parseWith(() => read(record(request, raw)))
}

/** Runs a parser, turning ParamError into the `bad_params` error value. */
export function parseWith<T>(fn: () => T): Reply<T> {
  try {
    return ok(fn())
  } catch (e) {
    if (e instanceof ParamError) return rpcError('bad_params', e.message)
    throw e
  }
}

export function record(request: string, raw: unknown): Fields {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw))
    throw new ParamError(`${request} takes an object of params, got ${raw === null ? 'null' : Array.isArray(raw) ? 'an array' : typeof raw}`)
  return raw as Fields
}

/** A non-empty string; with `trim`, surrounding blanks are cut (and a blank string is refused). */
export function str(request: string, fields: Fields, name: string, opts: { trim?: boolean } = {}): string {
  const v = fields[name]
  const s = typeof v === 'string' && opts.trim ? v.trim() : v
  if (typeof s !== 'string' || s === '') throw new ParamError(`${request}: ${name} must be a non-empty string`)
  return s
}

/** A string, or null when absent, null or empty. */
export function optStr(request: string, fields: Fields, name: string): string | null {
  const v = fields[name]
  if (v === undefined || v === null || v === '') return null
  if (typeof v !== 'string') throw new ParamError(`${request}: ${name} must be a string or null`)
  return v
}

/** Any string, the empty one too (terminal input). */
export function anyStr(request: string, fields: Fields, name: string): string {
  const v = fields[name]
  if (typeof v !== 'string') throw new ParamError(`${request}: ${name} must be a string`)
  return v
}

/** An array of strings, or null when absent or null. */
export function optStrList(request: string, fields: Fields, name: string): string[] | null {
  const v = fields[name]
  if (v === undefined || v === null) return null
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw new ParamError(`${request}: ${name} must be an array of strings or null`)
  return v as string[]
}

const NAME_RE = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/

/** A DNS-label name (cluster names, lab ids), so a crafted request cannot reach outside a folder. */
export function dnsName(request: string, fields: Fields, name: string): string {
  const v = fields[name]
  if (typeof v !== 'string' || !NAME_RE.test(v))
    throw new ParamError(`${request}: ${name} must be a lower-case name (letters, digits and -), got ${JSON.stringify(v)}`)
  return v
}

export function bool(request: string, fields: Fields, name: string): boolean {
  const v = fields[name]
  if (typeof v !== 'boolean') throw new ParamError(`${request}: ${name} must be true or false`)
  return v
}

/** true or false, false when absent. */
export function optBool(request: string, fields: Fields, name: string): boolean {
  return fields[name] === undefined ? false : bool(request, fields, name)
}

export function int(request: string, fields: Fields, name: string, min: number): number {
  const v = fields[name]
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) throw new ParamError(`${request}: ${name} must be a whole number ≥ ${min}`)
  return v
}

export function optInt(request: string, fields: Fields, name: string, min: number): number | null {
  return fields[name] === undefined || fields[name] === null ? null : int(request, fields, name, min)
}

/** A whole number from `min` to `max`. */
export function intIn(request: string, fields: Fields, name: string, min: number, max: number): number {
  const v = fields[name]
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
    throw new ParamError(`${request}: ${name} must be a whole number from ${min} to ${max}`)
  return v
}

/** A TCP port; with `optional`, absent, null or 0 is null (pick a free one). */
export function port(request: string, fields: Fields, name: string, optional = false): number | null {
  const v = fields[name]
  if (optional && (v === undefined || v === null || v === 0)) return null
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > 65535)
    throw new ParamError(`${request}: ${name} must be a port number from 1 to 65535${optional ? ', or absent for a free one' : ''}`)
  return v
}

/** One of a fixed set of strings. */
export function oneOf<T extends string>(request: string, fields: Fields, name: string, values: readonly T[]): T {
  const v = fields[name]
  if (typeof v !== 'string' || !values.includes(v as T))
    throw new ParamError(`${request}: ${name} must be ${values.map((x) => JSON.stringify(x)).join(' or ')}`)
  return v as T
}
