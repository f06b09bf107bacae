// Latency statistics for benchmarks.

/** Value at quantile q (0..1) of already sorted samples, nearest-rank. */
export function quantile(sorted: readonly number[], fraction: number): number {
  if (sorted.length === 0) return NaN
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil(fraction * sorted.length) - 1))
  return sorted[idx]
}

export interface Summary {
  readonly ops: number
  readonly seconds: number
  readonly opsPerSec: number
  /** Milliseconds. */
  readonly p50: number
  readonly p99: number
}

/** Throughput and p50/p99 from per-operation latencies (ms) and the wall time (ms). */
export function summarize(latenciesMs: readonly number[], wallMs: number): Summary {
  const sorted = [...latenciesMs].sort((a, b) => a - b)
  const seconds = wallMs / 1000
  return {
    ops: sorted.length,
    seconds: round(seconds, 3),
    opsPerSec: round(sorted.length / seconds, 1),
    p50: round(quantile(sorted, 0.5), 3),
    p99: round(quantile(sorted, 0.99), 3),
  }
}

export function round(value: number, digits: number): number {
  const f = 10 ** digits
  return Math.round(value * f) / f
}

/** Milliseconds since an arbitrary origin, sub-millisecond resolution. */
export function nowMs(): number {
  return Number(process.hrtime.bigint()) / 1e6
}
