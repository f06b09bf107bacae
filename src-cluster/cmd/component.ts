// The component runner of kubelab-node: each component declares its name, a one-line summary,
// its flags (the --help text is generated from them) and a run that starts it and returns its
// stop. The runner parses the flags, and for a long-running component waits for SIGINT/SIGTERM,
// then calls the stop — the one signal and clean-up path every component shares.
import { parseArgs } from 'node:util'
import { createClient, loadKubeconfig, type ClosableClient, type InformerFactory } from '../client'
import type { Client } from '../client/types'
import { startMemoryTrim } from './memory-trim'

export interface FlagSpec {
  readonly type: 'string' | 'boolean'
  readonly multiple?: boolean
  readonly short?: string
  readonly default?: string
  /** Placeholder for the value in the help (FILE, N, D); starting with `=` it is written joined. */
  readonly arg?: string
  /** What the flag does; more lines are indented under the first. */
  readonly help: string
  /** The runner refuses to start without it. */
  readonly required?: boolean
}

export type Flags = Readonly<Record<string, FlagSpec>>

type ValueOf<S extends FlagSpec> = S['type'] extends 'boolean'
  ? boolean | undefined
  : S['multiple'] extends true
    ? string[] | undefined
    : S extends { default: string } | { required: true }
      ? string
      : string | undefined

export type FlagValues<F extends Flags> = { -readonly [K in keyof F]: ValueOf<F[K]> }

/** Stops what a run started; the runner calls it once, on SIGINT or SIGTERM. */
export type Stop = () => void | Promise<void>

/** What a component gets from whoever runs it: alone (its own client) or in the node agent (shared). */
export interface RunContext {
  /** A client of its own for this kubeconfig file (its user agent names its writes); the component closes it. */
  client(kubeconfigFile: string, userAgent: string): ClosableClient
  /** Informers shared with the other components of this process that use the same kubeconfig file; undefined: make your own. */
  informers(client: Client): InformerFactory | undefined
  /**
   * The component cannot go on and, upstream, would exit (a scheduler or controller manager
   * that lost its lease): running alone the process exits 1 and systemd or the supervisor starts
   * it again; in the node agent only this part is stopped and started again (after a back-off),
   * so the API server and the other parts of the process keep running.
   */
  exit(reason: string): void
}

/**
 * Connections a component's client keeps to the API server (ordinary requests; each watch has
 * its own), alone or per identity in the node agent. A kubelet starting 100 pods at once sends
 * ~100 status PATCHes and events together: with the client's default 64 that opened 64 TLS
 * connections, a handshake each, which then stayed open at ~160 KiB of memory apiece. The API
 * server answers on one thread, so a few requests in flight keep it busy; the rest queue briefly.
 */
export const API_SOCKETS = 8

/** A component running alone: its own client, its own informers. */
export const ALONE: RunContext = {
  client: (file, userAgent) => createClient({ ...loadKubeconfig(file), userAgent, maxSockets: API_SOCKETS }),
  informers: () => undefined,
  exit(reason) {
    console.error(reason)
    process.exit(1)
  },
}

export interface Component<F extends Flags = Flags> {
  readonly name: string
  /** One line for `kubelab-node help`. */
  readonly about: string
  /** What follows `usage: kubelab-node NAME` (default: the required flags, then [flags]). */
  readonly usage?: string
  /** A paragraph between the usage line and the flags. */
  readonly description?: string
  readonly flags: F
  /** Starts the component: returns its stop (it runs until a signal), or nothing (a command that is done). */
  run(values: FlagValues<F>, ctx: RunContext): Promise<Stop | void>
}

/** Declares a component, keeping the flags' literal types so `run` sees typed values. */
export function defineComponent<const F extends Flags>(component: Component<F>): Component<F> {
  return component
}

/** A mistake in the command line: the runner adds the component's help to the message. */
export class UsageError extends Error {}

/** Throws a UsageError naming the first of `names` that has no value. */
export function requireFlags(values: Record<string, unknown>, ...names: string[]): void {
  for (const n of names) if (values[n] === undefined || values[n] === '') throw new UsageError(`--${n} is required`)
}

const COLUMN_MAX = 38

export function componentHelp(component: Component): string {
  const entries = Object.entries(component.flags)
  const left = (name: string, f: FlagSpec): string => `  --${name}${f.arg ? (f.arg.startsWith('=') ? f.arg : ` ${f.arg}`) : ''}`
  const width = Math.min(COLUMN_MAX, Math.max(0, ...entries.map(([n, f]) => left(n, f).length)) + 2)
  const lines = entries.map(([n, f]) => {
    const l = left(n, f)
    const [first = '', ...more] = f.help.split('\n')
    const head = l.length < width ? `${l.padEnd(width)}${first}` : `${l}\n${' '.repeat(width)}${first}`
    return [head, ...more.map((m) => `${' '.repeat(width)}${m}`)].join('\n')
  })
  const usage =
    component.usage ??
    [
      ...entries.filter(([, f]) => f.required).map(([n, f]) => `--${n}${f.arg ? ` ${f.arg}` : ''}`),
      ...(entries.some(([, f]) => !f.required) ? ['[flags]'] : []),
    ].join(' ')
  return [`usage: kubelab-node ${component.name} ${usage}`.trimEnd(), ...(component.description ? ['', component.description] : []), '', ...lines].join('\n')
}

/** Resolves on SIGINT/SIGTERM with the signal's name; a second signal gets Node's default (exit). */
export function waitForSignal(): Promise<string> {
  return new Promise((resolve) => {
    // Signal handlers do not keep Node's event loop alive: a component with nothing else to do
    // (a scheduler or controller manager waiting as a leader-election standby, whose timers are
    // unref'd) would otherwise end with exit code 13 (unsettled top-level await).
    const alive = setInterval(() => {}, 1 << 30)
    const on = (s: NodeJS.Signals): void => {
      clearInterval(alive)
      process.off('SIGINT', on)
      process.off('SIGTERM', on)
      resolve(s)
    }
    process.on('SIGINT', on)
    process.on('SIGTERM', on)
  })
}

/**
 * Runs a component from its command-line arguments: prints the help for --help, starts it, and
 * when it keeps running waits for SIGINT/SIGTERM and stops it. Errors (bad flags, a failed start
 * or stop) are thrown to the caller.
 */
/** Parses a component's command line (flags and their defaults); --help is a flag like any other. */
export function parseFlags<F extends Flags>(component: Component<F>, args: string[]): FlagValues<F> & { help?: boolean } {
  const options: Record<string, { type: 'string' | 'boolean'; multiple?: boolean; short?: string; default?: string }> = {}
  for (const [n, f] of Object.entries(component.flags)) {
    options[n] = {
      type: f.type,
      ...(f.multiple ? { multiple: true } : {}),
      ...(f.short ? { short: f.short } : {}),
      ...(f.default !== undefined ? { default: f.default } : {}),
    }
  }
  options.help = { type: 'boolean', short: 'h' }
  try {
    return parseArgs({ args, options, strict: true, allowPositionals: false }).values as FlagValues<F> & { help?: boolean }
  } catch (e) {
    throw new Error(`${e instanceof Error ? e.message : String(e)}\n\n${componentHelp(component)}`)
  }
}

/** Starts a component from parsed flags (required flags checked); usage mistakes carry the help. */
export async function startComponent<F extends Flags>(component: Component<F>, values: FlagValues<F>, ctx: RunContext = ALONE): Promise<Stop | void> {
  try {
    requireFlags(values, ...Object.keys(component.flags).filter((n) => component.flags[n]!.required))
    return await component.run(values, ctx)
  } catch (e) {
    if (e instanceof UsageError) throw new Error(`${e.message}\n\n${componentHelp(component)}`)
    throw e
  }
}

/**
 * Runs a component from its command-line arguments: prints the help for --help, starts it, and
 * when it keeps running waits for SIGINT/SIGTERM and stops it. Errors (bad flags, a failed start
 * or stop) are thrown to the caller.
 */
export async function runComponent<F extends Flags>(component: Component<F>, args: string[], log: (line: string) => void = console.log): Promise<void> {
  const values = parseFlags(component, args)
  if (values.help) {
    log(componentHelp(component))
    return
  }
  const stop = await startComponent(component, values)
  if (!stop) return
  // A long-running component gives back the heap a burst left committed once it is quiet again.
  const trim = startMemoryTrim({ log: (line) => log(`${component.name}: ${line}`) })
  const sig = await waitForSignal()
  trim?.stop()
  log(`${component.name}: ${sig}, shutting down`)
  try {
    await stop()
  } catch (e) {
    throw new Error(`shutdown failed: ${e instanceof Error ? e.message : String(e)}`)
  }
}
