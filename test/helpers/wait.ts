// The one way tests wait for something to happen: poll with a bound, and on timeout say what did
// not happen and the last answer or error (so a red test says why). Times are bounds for a
// loaded machine, never assertions; `log` prints how long convergence took.

export interface WaitOptions {
  /** How long before giving up (default 30 s; no time bound by default when `maxAttempts` is set). */
  readonly timeoutMs?: number
  /** Give up after this many attempts (with `pause` advancing a fake clock: a bound in fake time). */
  readonly maxAttempts?: number
  /** Between attempts (default 250 ms; a poll that runs kubectl wants 500–1000). */
  readonly intervalMs?: number
  /** Print `WHAT: N s` once it happened. */
  readonly log?: boolean
  /** More to say on a timeout (recent events, component logs). */
  readonly context?: () => string
  /** Instead of sleeping `intervalMs` between attempts (a fake clock's advance). */
  readonly pause?: () => Promise<void>
  /** Asked before each attempt: a reason to give up at once (a process it waits on exited). */
  readonly stopIf?: () => string | undefined
}

type Falsy = undefined | null | false | 0 | ''
const opts = (o: number | WaitOptions): WaitOptions => (typeof o === 'number' ? { timeoutMs: o } : o)
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))
const describe = (v: unknown): string => (v instanceof Error ? v.message : typeof v === 'string' ? v : JSON.stringify(v))

async function poll<T>(what: string, attempt: () => Promise<{ done: true; value: T } | { done: false; last: unknown }>, o: WaitOptions): Promise<T> {
  const timeoutMs = o.timeoutMs ?? (o.maxAttempts === undefined ? 30_000 : Infinity)
  const t0 = Date.now()
  for (let attempts = 1; ; attempts++) {
    const stop = o.stopIf?.()
    if (stop) throw new Error(`${stop} while waiting for ${what}${o.context ? `\n${o.context()}` : ''}`)
    const r = await attempt()
    if (r.done) {
      if (o.log) console.log(`${what}: ${((Date.now() - t0) / 1000).toFixed(1)} s`)
      return r.value
    }
    const outOfAttempts = o.maxAttempts !== undefined && attempts >= o.maxAttempts
    if (outOfAttempts || Date.now() - t0 > timeoutMs) {
      const extra = o.context ? `\n${o.context()}` : ''
      const bound = outOfAttempts ? `${attempts} attempts` : `${timeoutMs / 1000} s`
      throw new Error(`${what} did not happen within ${bound}; last: ${describe(r.last)}${extra}`)
    }
    await (o.pause ? o.pause() : sleep(o.intervalMs ?? 250))
  }
}

/** Polls `fn` until it gives a truthy value, and returns that; a throw counts as "not yet". `options`: the wait options, or the timeout in ms. */
export function until<T>(what: string, fn: () => T | Promise<T>, options: number | WaitOptions = {}): Promise<Exclude<T, Falsy>> {
  return poll(
    what,
    async () => {
      try {
        const v = await fn()
        return v ? { done: true, value: v as Exclude<T, Falsy> } : { done: false, last: v }
      } catch (e) {
        return { done: false, last: e }
      }
    },
    opts(options),
  )
}

/** Retries `fn` until it does not throw, and returns what it gave. `options`: the wait options, or the timeout in ms. */
export function eventually<T>(what: string, fn: () => T | Promise<T>, options: number | WaitOptions = {}): Promise<T> {
  return poll(
    what,
    async () => {
      try {
        return { done: true, value: await fn() }
      } catch (e) {
        return { done: false, last: e }
      }
    },
    opts(options),
  )
}
