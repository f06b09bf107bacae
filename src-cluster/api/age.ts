// Human-readable durations exactly as kubectl shows them (apimachinery's duration.HumanDuration):
// about two significant figures, e.g. "45s", "3m5s", "15m", "2h30m", "9h", "3d4h", "30d", "2y5d".
// Table cells are printed verbatim by kubectl, so the rounding rules must match upstream.

const SECOND = 1000
const MINUTE = 60 * SECOND
const HOUR = 60 * MINUTE

/** `ms` is a duration in milliseconds. Go truncates toward zero at every step; so do we. */
export function humanDuration(ms: number): string {
  const seconds = Math.trunc(ms / SECOND)
  // Up to ~2 s in the future counts as "now": clocks of nodes and the API server drift a little.
  if (seconds < -1) return '<invalid>'
  if (seconds < 0) return '0s'
  if (seconds < 60 * 2) return `${seconds}s`
  const minutes = Math.trunc(ms / MINUTE)
  if (minutes < 10) {
    const s = seconds % 60
    return s === 0 ? `${minutes}m` : `${minutes}m${s}s`
  }
  if (minutes < 60 * 3) return `${minutes}m`
  const hours = Math.trunc(ms / HOUR)
  if (hours < 8) {
    const m = minutes % 60
    return m === 0 ? `${hours}h` : `${hours}h${m}m`
  }
  if (hours < 48) return `${hours}h`
  if (hours < 24 * 8) {
    const h = hours % 24
    return h === 0 ? `${Math.trunc(hours / 24)}d` : `${Math.trunc(hours / 24)}d${h}h`
  }
  if (hours < 24 * 365 * 2) return `${Math.trunc(hours / 24)}d`
  const years = Math.trunc(hours / 24 / 365)
  if (hours < 24 * 365 * 8) {
    const dy = Math.trunc(hours / 24) % 365
    return dy === 0 ? `${years}y` : `${years}y${dy}d`
  }
  return `${years}y`
}

/** Milliseconds since the epoch, or undefined for a missing, unparsable or Go-zero timestamp. */
export function parseTimestamp(ts: string | null | undefined): number | undefined {
  if (!ts) return undefined
  const t = Date.parse(ts)
  // Go's zero time (0001-01-01T00:00:00Z) is what an unset metav1.Time serializes to when forced.
  if (Number.isNaN(t) || new Date(t).getUTCFullYear() <= 1) return undefined
  return t
}

/** "5m" since `ts`, or "<unknown>" when the timestamp is missing (upstream translateTimestampSince). */
export function ageSince(ts: string | null | undefined, now: Date): string {
  const t = parseTimestamp(ts)
  return t === undefined ? '<unknown>' : humanDuration(now.getTime() - t)
}
