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
  /** Checked before each step and each line; a string aborts (cancel) with that reason. */
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
}

const TAIL = 20

export class StepRunner {
  private readonly now: () => number
  /** Steps done, with durations, for benchmarks and summaries. */
  readonly timings: { step: string; node?: string; ms: number; ok: boolean }[] = []

  constructor(private readonly o: StepRunnerOptions) {
    this.now = o.now ?? Date.now
    mkdirSync(o.logDir, { recursive: true, mode: 0o700 })
  }

  private logFile(node: string | undefined): string {
    return join(this.o.logDir, `${node ?? 'cluster'}.log`)
  }

  private emit(e: StepEvent): void {
    const stamp = new Date().toISOString()
    const text = e.status === 'line' ? `${e.step}: ${e.line}` : `${e.step}: ${e.status}${e.status === 'start' ? '' : ` (${e.elapsedMs} ms)`}${e.line ? ` ${e.line}` : ''}`
    try {
      appendFileSync(this.logFile(e.node), `${stamp} ${text}\n`, { mode: 0o600 })
    } catch {
      /* a log that cannot be written must not break provisioning */
    }
    this.o.onEvent?.(e)
  }

  checkCancelled(): void {
    const why = this.o.cancelled?.()
    if (why) throw new CancelledError(why)
  }

  /** Runs `body` as one step; its lines are streamed, its failure becomes a StepError. */
  async run<T>(step: string, node: string | undefined, body: (ctx: StepContext) => Promise<T>): Promise<T> {
    this.checkCancelled()
    const t0 = this.now()
    const tail: string[] = []
    let hint: string | undefined
    this.emit({ step, node, status: 'start', elapsedMs: 0 })
    const ctx: StepContext = {
      node,
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
    try {
      const out = await body(ctx)
      const ms = this.now() - t0
      this.timings.push({ step, node, ms, ok: true })
      this.emit({ step, node, status: 'done', elapsedMs: ms })
      return out
    } catch (e) {
      const ms = this.now() - t0
      this.timings.push({ step, node, ms, ok: false })
      const msg = e instanceof Error ? e.message : String(e)
      this.emit({ step, node, status: 'failed', elapsedMs: ms, line: msg.split('\n')[0] })
      if (e instanceof CancelledError || e instanceof StepError) throw e
      throw new StepError(step, node, msg, tail, hint)
    }
  }
}

/** One printable line per event, as the CLI shows them (lines indented under their step). */
export function formatStepEvent(e: StepEvent): string {
  const who = e.node ? `[${e.node}] ` : ''
  const secs = (e.elapsedMs / 1000).toFixed(1)
  switch (e.status) {
    case 'start':
      return `${who}${e.step} ...`
    case 'line':
      return `${who}  | ${e.line}`
    case 'done':
      return `${who}${e.step} done (${secs}s)`
    case 'failed':
      return `${who}${e.step} FAILED after ${secs}s: ${e.line ?? ''}`
  }
}
