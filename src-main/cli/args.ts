// A small flag parser: `--name value`, `--name=value` and boolean `--flag`. Positional
// arguments are returned in order. Errors are values so commands can print usage and exit 2.

export interface FlagSpec {
  [name: string]: 'string' | 'boolean'
}

export type ParsedArgs<S extends FlagSpec> = {
  flags: { [K in keyof S]?: S[K] extends 'boolean' ? boolean : string }
  positional: string[]
}

export type ParseResult<S extends FlagSpec> = { ok: true; value: ParsedArgs<S> } | { ok: false; error: string }

export function parseArgs<S extends FlagSpec>(args: string[], spec: S): ParseResult<S> {
  const flags: Record<string, string | boolean> = {}
  const positional: string[] = []
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string
    if (arg === '--') {
      positional.push(...args.slice(i + 1))
      break
    }
    if (!arg.startsWith('--') || arg === '--') {
      positional.push(arg)
      continue
    }
    const eq = arg.indexOf('=')
    const name = eq === -1 ? arg.slice(2) : arg.slice(2, eq)
    const kind = Object.prototype.hasOwnProperty.call(spec, name) ? spec[name] : undefined
    if (!kind) return { ok: false, error: `unknown flag --${name}` }
    if (kind === 'boolean') {
      if (eq !== -1) return { ok: false, error: `--${name} takes no value` }
      flags[name] = true
      continue
    }
    const value = eq !== -1 ? arg.slice(eq + 1) : args[++i]
    if (value === undefined || value === '') return { ok: false, error: `--${name} needs a value` }
    flags[name] = value
  }
  return { ok: true, value: { flags: flags as ParsedArgs<S>['flags'], positional } }
}

/** A TCP port number (0 = any free port). */
export function parsePort(text: string): number | null {
  if (!/^\d{1,5}$/.test(text)) return null
  const n = Number(text)
  return n <= 65535 ? n : null
}
