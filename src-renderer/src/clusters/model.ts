// Pure helpers for the clusters store and views: applying operation events, choosing what to
// show, timing. No Vue, no bridge: unit-tested in Node.
import type { ClusterOperation, OperationLine, OperationStep } from '@contract'

/** Lines kept per step in the renderer (the backend keeps the full log on disk). */
export const maxLines = 200

/** A newer snapshot replaces the stored one; lines that arrived after it are kept. */
export function mergeSnapshot(current: ClusterOperation | undefined, next: ClusterOperation): ClusterOperation {
  if (!current) return next
  const steps = next.steps.map((s) => {
    const old = current.steps.find((o) => o.id === s.id)
    // The snapshot was taken after every line it carries; only lines we saw beyond it survive.
    if (old && old.lines.length > s.lines.length && endsWith(old.lines, s.lines)) return { ...s, lines: old.lines }
    return s
  })
  return { ...next, steps }
}

function endsWith(long: string[], short: string[]): boolean {
  if (short.length === 0) return true
  const a = long.indexOf(short[0]!)
  return a >= 0 && short.every((l, i) => long[a + i] === l)
}

/** Appends a streamed line to its step (unknown operations or steps are ignored). */
export function applyLine(op: ClusterOperation | undefined, line: OperationLine): ClusterOperation | undefined {
  if (!op || op.id !== line.operationId) return op
  const steps = op.steps.map((s) => {
    if (s.id !== line.stepId) return s
    const lines = [...s.lines, line.line]
    return { ...s, lines: lines.length > maxLines ? lines.slice(lines.length - maxLines) : lines }
  })
  return { ...op, steps }
}

/** The most recent operation for a cluster, if any. */
export function latestFor(ops: Iterable<ClusterOperation>, cluster: string): ClusterOperation | undefined {
  let best: ClusterOperation | undefined
  for (const op of ops) if (op.cluster === cluster && (!best || op.startedAt >= best.startedAt)) best = op
  return best
}

/** Elapsed time of a step: until it ended, or until `now` while it runs. */
export function stepElapsed(step: OperationStep, now: number): number | null {
  if (step.startedAt === null) return null
  // The view's clock ticks a little behind event times: never show a negative duration.
  return Math.max(0, (step.endedAt ?? now) - step.startedAt)
}

export function formatElapsed(ms: number | null): string {
  if (ms === null) return ''
  if (ms < 1000) return `${(ms / 1000).toFixed(1)}s`
  const s = Math.floor(ms / 1000)
  if (s < 60) return `${(ms / 1000).toFixed(1)}s`
  return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`
}

/** The step to show output for: the failed one, else the running one, else the last that ran. */
export function focusStep(op: ClusterOperation): OperationStep | undefined {
  return op.steps.find((s) => s.state === 'failed') ?? op.steps.find((s) => s.state === 'running') ?? [...op.steps].reverse().find((s) => s.state !== 'pending')
}

/** The last `count` lines of the step that failed (what a failure panel shows). */
export function lastLines(op: ClusterOperation, count = 12): string[] {
  const step = focusStep(op)
  return step ? step.lines.slice(-count) : []
}

/** Names the wizard suggests: lab, lab-2, lab-3, ... whichever is free. */
export function suggestName(existing: readonly string[], base = 'lab'): string {
  const taken = new Set(existing)
  if (!taken.has(base)) return base
  for (let i = 2; ; i++) if (!taken.has(`${base}-${i}`)) return `${base}-${i}`
}

/** What a cluster's state allows. */
export function actionsFor(state: string, busy: boolean): { start: boolean; stop: boolean; remove: boolean; terminal: boolean } {
  if (busy) return { start: false, stop: false, remove: false, terminal: state === 'running' }
  return {
    start: state === 'stopped' || state === 'error',
    stop: state === 'running',
    remove: true,
    terminal: state === 'running',
  }
}
