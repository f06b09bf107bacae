// Runs a sync function per key, never twice at once for the same key: a key asked for while
// its sync runs is synced again afterwards (so no change is missed). Failed syncs retry with
// a doubling back-off in real time — retries are about the API server's health, not about
// simulated time.

export class KeyedRunner {
  private readonly running = new Set<string>()
  private readonly dirty = new Set<string>()
  private readonly failures = new Map<string, number>()
  private readonly retryTimers = new Map<string, NodeJS.Timeout>()
  private stopped = false

  constructor(
    private readonly sync: (key: string) => Promise<void>,
    private readonly log: (line: string) => void,
  ) {}

  enqueue(key: string): void {
    if (this.stopped) return
    if (this.running.has(key)) {
      this.dirty.add(key)
      return
    }
    this.running.add(key)
    void this.loop(key)
  }

  private async loop(key: string): Promise<void> {
    try {
      do {
        this.dirty.delete(key)
        try {
          await this.sync(key)
          this.failures.delete(key)
        } catch (e) {
          const n = (this.failures.get(key) ?? 0) + 1
          this.failures.set(key, n)
          const delay = Math.min(30_000, 50 * 2 ** Math.min(n, 10))
          this.log(`sync ${key} failed (attempt ${n}, retrying in ${delay}ms): ${e instanceof Error ? e.message : String(e)}`)
          if (!this.retryTimers.has(key)) {
            const t = setTimeout(() => {
              this.retryTimers.delete(key)
              this.enqueue(key)
            }, delay)
            t.unref?.()
            this.retryTimers.set(key, t)
          }
        }
      } while (this.dirty.has(key) && !this.stopped)
    } finally {
      this.running.delete(key)
    }
  }

  /** Resolves when no sync is running (for orderly shutdown). */
  async idle(): Promise<void> {
    while (this.running.size > 0) await new Promise((r) => setTimeout(r, 5))
  }

  stop(): void {
    this.stopped = true
    for (const t of this.retryTimers.values()) clearTimeout(t)
    this.retryTimers.clear()
  }
}
