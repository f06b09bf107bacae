// The CRI container log format containerd writes: one entry per line,
// `<RFC 3339 nano time> <stdout|stderr> <P|F> <text>`; P marks a partial line (the text
// continues in the next entry), F a full one (a newline follows the text).

export interface CriLogEntry {
  /** The time exactly as written. */
  readonly time: string
  /** Milliseconds since the epoch (for since filters). */
  readonly ms: number
  readonly stream: 'stdout' | 'stderr'
  readonly partial: boolean
  readonly text: string
}

/** Parses one line (without its newline); undefined when it is not a CRI log entry. */
export function parseCriLogLine(line: string): CriLogEntry | undefined {
  const a = line.indexOf(' ')
  const b = a < 0 ? -1 : line.indexOf(' ', a + 1)
  if (a < 0 || b < 0) return undefined
  const time = line.slice(0, a)
  const stream = line.slice(a + 1, b)
  if (stream !== 'stdout' && stream !== 'stderr') return undefined
  const c = line.indexOf(' ', b + 1)
  const tag = c < 0 ? line.slice(b + 1) : line.slice(b + 1, c)
  const text = c < 0 ? '' : line.slice(c + 1)
  const ms = parseTimeMs(time)
  if (ms === undefined) return undefined
  // Tags may carry more flags after a ':'; the first says partial or full.
  return { time, ms, stream, partial: tag.split(':')[0] === 'P', text }
}

function parseTimeMs(t: string): number | undefined {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/.exec(t)
  if (!m) return undefined
  const frac = (m[2] ?? '').padEnd(3, '0').slice(0, 3)
  const v = Date.parse(`${m[1]}.${frac}${m[3]}`)
  return Number.isNaN(v) ? undefined : v
}

/** Go's RFC3339Nano rendering (fraction without trailing zeros), which kubectl users see. */
export function formatLogTime(time: string): string {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/.exec(time)
  if (!m) return time
  const frac = (m[2] ?? '').replace(/0+$/, '')
  return `${m[1]}${frac ? '.' + frac : ''}${m[3] === '+00:00' ? 'Z' : m[3]}`
}

/** What one entry contributes to `kubectl logs` output. */
export function renderEntry(criLogEntry: CriLogEntry, timestamps: boolean): string {
  return (timestamps ? formatLogTime(criLogEntry.time) + ' ' : '') + criLogEntry.text + (criLogEntry.partial ? '' : '\n')
}

/** Formats a Date the way containerd writes log times. */
export function criLogTime(date: Date, nanos = 0): string {
  const iso = date.toISOString() // 2026-01-01T00:00:00.123Z
  const ns = String(date.getUTCMilliseconds() * 1_000_000 + (nanos % 1_000_000)).padStart(9, '0')
  return `${iso.slice(0, 19)}.${ns}Z`
}
