// Time as the control plane sees it. Components take a Clock so tests can move time forward
// (a CronJob firing, a node lease expiring) without waiting.

export interface TimerHandle {
  cancel(): void
}

export interface Clock {
  now(): Date
  /** Run `fn` once after `ms` of this clock's time. */
  after(ms: number, fn: () => void): TimerHandle
}

export const realClock: Clock = {
  now: () => new Date(),
  after(ms, fn) {
    const t = setTimeout(fn, Math.max(0, ms))
    t.unref?.()
    return { cancel: () => clearTimeout(t) }
  },
}

/** A clock that moves only when told to; timers fire in order as it passes them. */
export class FakeClock implements Clock {
  private t: number
  private seq = 0
  private timers: { at: number; seq: number; fn: () => void; cancelled: boolean }[] = []

  constructor(start: Date | number = Date.UTC(2026, 0, 1)) {
    this.t = typeof start === 'number' ? start : start.getTime()
  }
  now(): Date {
    return new Date(this.t)
  }
  after(ms: number, fn: () => void): TimerHandle {
    const timer = { at: this.t + Math.max(0, ms), seq: this.seq++, fn, cancelled: false }
    this.timers.push(timer)
    return { cancel: () => void (timer.cancelled = true) }
  }
  /** Move time forward, firing due timers in time order (timers they add fire too if due). */
  advance(ms: number): void {
    const end = this.t + ms
    for (;;) {
      const due = this.timers.filter((x) => !x.cancelled && x.at <= end).sort((a, b) => a.at - b.at || a.seq - b.seq)[0]
      if (!due) break
      this.t = Math.max(this.t, due.at)
      due.cancelled = true
      this.timers = this.timers.filter((x) => x !== due)
      due.fn()
    }
    this.t = end
  }
  set(date: Date): void {
    this.advance(Math.max(0, date.getTime() - this.t))
  }
}
