// Kubernetes' container restart back-off: 10 s doubling to 5 min; a container that ran for
// 10 minutes resets it. While waiting the container shows CrashLoopBackOff.
export const BACKOFF_INITIAL_MS = 10_000
export const BACKOFF_MAX_MS = 300_000
export const BACKOFF_RESET_MS = 600_000

export class RestartBackoff {
  private readonly entries = new Map<string, { delayMs: number; until: number }>()

  /** Called when a container exited and is to be restarted: returns when it may start. */
  next(key: string, finishedAtMs: number, ranForMs: number): number {
    const prev = this.entries.get(key)
    let delay = prev ? Math.min(prev.delayMs * 2, BACKOFF_MAX_MS) : BACKOFF_INITIAL_MS
    if (ranForMs >= BACKOFF_RESET_MS) delay = BACKOFF_INITIAL_MS
    const e = { delayMs: delay, until: finishedAtMs + delay }
    this.entries.set(key, e)
    return e.until
  }

  /** When the key may restart, if it is backing off. */
  until(key: string): number | undefined {
    return this.entries.get(key)?.until
  }

  delayMs(key: string): number | undefined {
    return this.entries.get(key)?.delayMs
  }

  clear(prefix: string): void {
    for (const k of this.entries.keys()) if (k.startsWith(prefix)) this.entries.delete(k)
  }
}
