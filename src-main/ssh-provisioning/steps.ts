// The step runner: every provisioning step (wait for SSH, upload, install, start, node Ready)
// becomes start / line / done|failed events with elapsed times. The CLI prints them, the
// desktop app shows them; every event is also appended to the cluster's per-node log file, so
// a failure can be read later. A failed step's error names the step, the node, the last output
// lines and what to try.
import { appendFileSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'

export type StepStatus = 'start' | 'line' | 'done' | 'failed'

export interface StepEvent {
  readonly step: string
  readonly node?: string
  readonly status: StepStatus
  /** Milliseconds since the step started. */
  readonly elapsedMs: number
  readonly line?: string
}

export interface StepRunnerOptions {
  /** ~/.kubelab/clusters/NAME/logs: one `<node>.log` per node, `cluster.log` for the rest. */
  readonly logDir: string
  readonly onEvent?: (e: StepEvent) => void
  /** Checked before each step and while it runs; a string aborts (cancel) with that reason. */
  readonly cancelled?: () => string | undefined
  readonly now?: () => number
}

/** Where a failed step says what to try; attached to errors thrown from a step body. */
export class StepError extends Error {
  constructor(
    readonly step: string,
    readonly node: string | undefined,
    readonly cause0: string,
    readonly lastLines: readonly string[],
    readonly hint?: string,
  ) {
    super(
      `step "${step}"${node ? ` on node ${node}` : ''} failed: ${cause0}` +
        (lastLines.length ? `\nlast ${lastLines.length} output lines:\n${lastLines.map((l) => `  ${l}`).join('\n')}` : '') +
        (hint ? `\nwhat to try: ${hint}` : ''),
    )
    this.name = 'StepError'
  }
}

export class CancelledError extends Error {
  constructor(reason: string) {
    super(`cancelled: ${reason}`)
    this.name = 'CancelledError'
  }
}

/** A running step's handle: report output lines, and attach a hint for the failure message. */
export interface StepContext {
  line(text: string): void
  /** What to try if this step fails (replaced by later calls). */
  hint(text: string): void
  readonly node?: string
  /**
   * Aborted when the run is cancelled while this step runs: the body should stop what it is
   * doing (kill its remote command, drop its connection) and return or throw soon.
   */
  readonly signal: AbortSignal
}

const TAIL = 20
/** How often a running step looks at `cancelled()`. */
const CANCEL_POLL_MS = 100
/** How long a cancelled step may take to wind down before the runner gives up waiting for it. */
const CANCEL_GRACE_MS = 15_000

export class StepRunner {
  private readonly now: () => number
  /** Steps done, with durations, for benchmarks and summaries. */
  readonly timings: { step: string; node?: string; ms: number; ok: boolean }[] = []

  constructor(private readonly opts: StepRunnerOptions) {
    this.now = opts.now ?? Date.now
    mkdirSync(opts.logDir, { recursive: true, mode: 0o700 })
  }

  private logFile(node: string | undefined): string {
    return join(this.opts.logDir, `${node ?? 'cluster'}.log`)
  }

  private emit(e: StepEvent): void {
    const stamp = new Date().toISOString()
    const text =
      e.status === 'line' ? `${e.step}: ${e.line}` : `${e.step}: ${e.status}${e.status === 'start' ? '' : ` (${e.elapsedMs} ms)`}${e.line ? ` ${e.line}` : ''}`
    try {
      appendFileSync(this.logFile(e.node), `${stamp} ${text}\n`, { mode: 0o600 })
    } catch {
      /* a log that cannot be written must not break provisioning */
    }
    this.opts.onEvent?.(e)
  }

  checkCancelled(): void {
    const why = this.opts.cancelled?.()
    if (why) throw new CancelledError(why)
  }

  /**
   * Runs `body` as one step; its lines are streamed, its failure becomes a StepError. A cancel
   * while it runs aborts `ctx.signal`, waits (bounded) for the body to wind down, and throws a
   * CancelledError naming the step.
   */
  async run<T>(step: string, node: string | undefined, body: (ctx: StepContext) => Promise<T>): Promise<T> {
    this.checkCancelled()
    const t0 = this.now()
    const tail: string[] = []
    let hint: string | undefined
    const abort = new AbortController()
    this.emit({ step, node, status: 'start', elapsedMs: 0 })
    const ctx: StepContext = {
      node,
      signal: abort.signal,
      line: (text) => {
        for (const l of text.split(/\r?\n/)) {
          if (!l.trim()) continue
          tail.push(l)
          if (tail.length > TAIL) tail.shift()
          this.emit({ step, node, status: 'line', elapsedMs: this.now() - t0, line: l })
        }
      },
      hint: (text) => {
        hint = text
      },
    }
    let cancelledWhy: string | undefined
    let poll: NodeJS.Timeout | undefined
    const cancelled = new Promise<void>((resolve) => {
      if (!this.opts.cancelled) return
      poll = setInterval(() => {
        const why = this.opts.cancelled?.()
        if (!why) return
        cancelledWhy = why
        clearInterval(poll)
        abort.abort(new CancelledError(why))
        resolve()
      }, CANCEL_POLL_MS)
    })
    const work = body(ctx)
    try {
      const out = await Promise.race([work, cancelled.then(() => settleWithin(work, CANCEL_GRACE_MS))])
      if (cancelledWhy) throw new CancelledError(cancelledWhy)
      const ms = this.now() - t0
      this.timings.push({ step, node, ms, ok: true })
      this.emit({ step, node, status: 'done', elapsedMs: ms })
      return out as T
    } catch (e) {
      const ms = this.now() - t0
      this.timings.push({ step, node, ms, ok: false })
      // Whatever the body threw once cancelled (a closed channel, ...) is the cancel's doing.
      const err = cancelledWhy ? new CancelledError(`${cancelledWhy} during step "${step}"${node ? ` on node ${node}` : ''}`) : e
      const msg = err instanceof Error ? err.message : String(err)
      this.emit({ step, node, status: 'failed', elapsedMs: ms, line: msg.split('\n')[0] })
      if (err instanceof CancelledError || err instanceof StepError) throw err
      throw new StepError(step, node, msg, tail, hint)
    } finally {
      clearInterval(poll)
    }
  }
}

/** Waits for `p` to settle, at most `ms`; never rejects (the caller throws its own error). */
function settleWithin(p: Promise<unknown>, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms)
    p.then(
      () => {
        clearTimeout(t)
        resolve()
      },
      () => {
        clearTimeout(t)
        resolve()
      },
    )
  })
}

/** One printable line per event, as the CLI shows them (lines indented under their step). */
export function formatStepEvent(event: StepEvent): string {
  const who = event.node ? `[${event.node}] ` : ''
  const secs = (event.elapsedMs / 1000).toFixed(1)
  switch (event.status) {
    case 'start':
      return `${who}${event.step} ...`
    case 'line':
      return `${who}  | ${event.line}`
    case 'done':
      return `${who}${event.step} done (${secs}s)`
    case 'failed':
      return `${who}${event.step} FAILED after ${secs}s: ${event.line ?? ''}`
  }
}
