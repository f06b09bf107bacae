// Coalesces changes to a list and hands them over at most once per interval, so a burst of
// thousands of pod updates becomes a few messages instead of thousands of renderer repaints.
import type { ResourceRow } from '../../contract'

export interface Batch {
  upserts: ResourceRow[]
  deletes: { key: string; resourceVersion: string }[]
}

export class RowBatcher {
  // Map order is insertion order; a later change to the same key replaces the earlier one.
  private pending = new Map<string, { row: ResourceRow } | { deleted: string }>()
  private timer: ReturnType<typeof setTimeout> | undefined

  constructor(
    private readonly flushTo: (batch: Batch) => void,
    private readonly intervalMs = 100,
  ) {}

  upsert(row: ResourceRow): void {
    this.pending.set(row.key, { row })
    this.schedule()
  }

  delete(key: string, resourceVersion: string): void {
    this.pending.set(key, { deleted: resourceVersion })
    this.schedule()
  }

  get size(): number {
    return this.pending.size
  }

  flush(): void {
    clearTimeout(this.timer)
    this.timer = undefined
    if (this.pending.size === 0) return
    const batch: Batch = { upserts: [], deletes: [] }
    for (const [key, change] of this.pending) {
      if ('row' in change) batch.upserts.push(change.row)
      else batch.deletes.push({ key, resourceVersion: change.deleted })
    }
    this.pending = new Map()
    this.flushTo(batch)
  }

  /** Drops what is pending without sending it (the watcher went away). */
  cancel(): void {
    clearTimeout(this.timer)
    this.timer = undefined
    this.pending.clear()
  }

  private schedule(): void {
    if (this.timer === undefined) this.timer = setTimeout(() => this.flush(), this.intervalMs)
  }
}
