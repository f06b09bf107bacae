/**
 * Holds backend → renderer events for one renderer until it says it is ready (listeners
 * subscribed), then delivers in order. A reload resets it. The queue is bounded so a renderer
 * that never becomes ready cannot grow memory without limit; drops are counted, not hidden.
 */
export class EventOutbox<M> {
  private queue: M[] = []
  private isReady = false
  private droppedCount = 0

  constructor(
    private readonly deliver: (message: M) => void,
    private readonly limit = 1000,
  ) {}

  get ready(): boolean {
    return this.isReady
  }

  get pending(): number {
    return this.queue.length
  }

  /** Events dropped (oldest first) because the queue was full before the renderer was ready. */
  get dropped(): number {
    return this.droppedCount
  }

  push(message: M): void {
    if (this.isReady) {
      this.deliver(message)
      return
    }
    if (this.queue.length >= this.limit) {
      this.queue.shift()
      this.droppedCount++
    }
    this.queue.push(message)
  }

  markReady(): void {
    if (this.isReady) return
    this.isReady = true
    const queued = this.queue
    this.queue = []
    for (const m of queued) this.deliver(m)
  }

  /** The renderer went away (reload, navigation): queue again until it is ready anew. */
  reset(): void {
    this.isReady = false
  }
}
