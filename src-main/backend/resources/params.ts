// Checking params that arrive from the renderer (an untrusted transport) before they reach a
// cluster. Each parser answers an error value naming the request and the bad field.
import type { Reply } from '../../contract'
import { ok, rpcError } from '../../contract'

export type Fields = Record<string, unknown>

export class ParamError extends Error {}

export function record(request: string, raw: unknown): Fields {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw))
    throw new ParamError(`${request} takes an object of params, got ${raw === null ? 'null' : typeof raw}`)
  return raw as Fields
}

export function str(request: string, f: Fields, name: string): string {
  const v = f[name]
  if (typeof v !== 'string' || v === '') throw new ParamError(`${request}: ${name} must be a non-empty string`)
  return v
}

export function optStr(request: string, f: Fields, name: string): string | null {
  const v = f[name]
  if (v === undefined || v === null || v === '') return null
  if (typeof v !== 'string') throw new ParamError(`${request}: ${name} must be a string or null`)
  return v
}

export function bool(request: string, f: Fields, name: string): boolean {
  const v = f[name]
  if (typeof v !== 'boolean') throw new ParamError(`${request}: ${name} must be true or false`)
  return v
}

export function int(request: string, f: Fields, name: string, min: number): number {
  const v = f[name]
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) throw new ParamError(`${request}: ${name} must be a whole number ≥ ${min}`)
  return v
}

export function optInt(request: string, f: Fields, name: string, min: number): number | null {
  return f[name] === undefined || f[name] === null ? null : int(request, f, name, min)
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
