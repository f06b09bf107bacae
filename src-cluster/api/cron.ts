// Cron schedules as CronJob accepts them: five fields (minute hour day-of-month month
// day-of-week) with ranges, steps, lists and names (JAN, MON), "?" for "any", and the macros
// @yearly/@annually/@monthly/@weekly/@daily/@midnight/@hourly plus "@every <duration>".
// Times are computed in UTC; the CronJob controller converts time zones before calling.

export interface CronSchedule {
  readonly minutes: ReadonlySet<number>
  readonly hours: ReadonlySet<number>
  readonly daysOfMonth: ReadonlySet<number>
  readonly months: ReadonlySet<number>
  readonly daysOfWeek: ReadonlySet<number>
  /** Either day field was "*" or "?": then only the other restricts (cron's OR rule otherwise). */
  readonly domAny: boolean
  readonly dowAny: boolean
  /** For "@every": fixed interval in milliseconds (the other fields are unused). */
  readonly everyMs?: number
}

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC']
const DAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT']

const MACROS: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
}

interface Bounds {
  name: string
  min: number
  max: number
  names?: string[]
  namesBase?: number
}
const FIELDS: Bounds[] = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: MONTHS, namesBase: 1 },
  { name: 'day of week', min: 0, max: 6, names: DAYS, namesBase: 0 },
]

/** Parses a schedule; throws an Error whose message says which part is wrong. */
export function parseCron(expr: string): CronSchedule {
  const trimmed = expr.trim()
  if (/^(CRON_)?TZ=/.test(trimmed)) throw new Error('cannot use TZ or CRON_TZ in schedule, use timeZone field instead')
  if (trimmed.startsWith('@every ')) {
    const ms = parseEvery(trimmed.slice(7).trim())
    return { minutes: new Set(), hours: new Set(), daysOfMonth: new Set(), months: new Set(), daysOfWeek: new Set(), domAny: true, dowAny: true, everyMs: ms }
  }
  const text = trimmed.startsWith('@') ? MACROS[trimmed.toLowerCase()] : trimmed
  if (!text) throw new Error(`unrecognized descriptor: ${trimmed}`)
  const parts = text.split(/\s+/)
  if (parts.length !== 5) throw new Error(`expected exactly 5 fields, found ${parts.length}: ${trimmed}`)
  const sets = parts.map((p, i) => parseField(p, FIELDS[i]))
  // Day of week 7 means Sunday too.
  return {
    minutes: sets[0],
    hours: sets[1],
    daysOfMonth: sets[2],
    months: sets[3],
    daysOfWeek: sets[4],
    domAny: parts[2] === '*' || parts[2] === '?',
    dowAny: parts[4] === '*' || parts[4] === '?',
  }
}

function parseEvery(s: string): number {
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/gy
  const unit: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60000, h: 3600000 }
  let total = 0
  let m: RegExpExecArray | null
  let consumed = 0
  while ((m = re.exec(s))) {
    total += Number(m[1]) * unit[m[2]]
    consumed = re.lastIndex
  }
  if (consumed !== s.length || s.length === 0) throw new Error(`failed to parse duration @every ${s}`)
  // Like robfig/cron: intervals below a second round up to a second.
  return Math.max(1000, Math.floor(total / 1000) * 1000)
}

function parseValue(s: string, b: Bounds): number {
  if (b.names) {
    const i = b.names.indexOf(s.toUpperCase())
    if (i >= 0) return i + (b.namesBase ?? 0)
  }
  if (!/^\d+$/.test(s)) throw new Error(`failed to parse int from ${s}: invalid syntax`)
  return Number(s)
}

function parseField(field: string, b: Bounds): Set<number> {
  const out = new Set<number>()
  for (const part of field.split(',')) {
    if (part === '') throw new Error(`empty list element in ${b.name} field "${field}"`)
    const [rangePart, stepPart, ...rest] = part.split('/')
    if (rest.length) throw new Error(`too many slashes: ${part}`)
    let lo: number
    let hi: number
    if (rangePart === '*' || rangePart === '?') {
      lo = b.min
      hi = b.max
    } else {
      const bounds = rangePart.split('-')
      if (bounds.length > 2) throw new Error(`too many hyphens: ${part}`)
      lo = parseValue(bounds[0], b)
      hi = bounds.length === 2 ? parseValue(bounds[1], b) : lo
      // A single value with a step runs to the end of the range ("5/15").
      if (bounds.length === 1 && stepPart !== undefined) hi = b.max
    }
    let step = 1
    if (stepPart !== undefined) {
      if (!/^\d+$/.test(stepPart) || Number(stepPart) === 0) throw new Error(`step of range should be a positive number: ${part}`)
      step = Number(stepPart)
    }
    const max = b.name === 'day of week' ? 7 : b.max
    if (lo < b.min) throw new Error(`beginning of range (${lo}) below minimum (${b.min}): ${part}`)
    if (hi > max) throw new Error(`end of range (${hi}) above maximum (${b.max}): ${part}`)
    if (lo > hi) throw new Error(`beginning of range (${lo}) beyond end of range (${hi}): ${part}`)
    for (let v = lo; v <= hi; v += step) out.add(b.name === 'day of week' && v === 7 ? 0 : v)
  }
  return out
}

function dayMatches(s: CronSchedule, d: Date): boolean {
  const dom = s.daysOfMonth.has(d.getUTCDate())
  const dow = s.daysOfWeek.has(d.getUTCDay())
  if (s.domAny || s.dowAny) return dom && dow
  return dom || dow
}

/** The first time strictly after `after` that matches the schedule (UTC), or undefined within 5 years. */
export function nextAfter(cronSchedule: CronSchedule, after: Date): Date | undefined {
  if (cronSchedule.everyMs !== undefined) {
    const t = Math.floor(after.getTime() / 1000) * 1000 + cronSchedule.everyMs
    return new Date(t)
  }
  const t = new Date(after.getTime())
  t.setUTCSeconds(0, 0)
  t.setUTCMinutes(t.getUTCMinutes() + 1)
  const limit = after.getTime() + 5 * 366 * 24 * 3600 * 1000
  while (t.getTime() <= limit) {
    if (!cronSchedule.months.has(t.getUTCMonth() + 1)) {
      t.setUTCMonth(t.getUTCMonth() + 1, 1)
      t.setUTCHours(0, 0, 0, 0)
      continue
    }
    if (!dayMatches(cronSchedule, t)) {
      t.setUTCDate(t.getUTCDate() + 1)
      t.setUTCHours(0, 0, 0, 0)
      continue
    }
    if (!cronSchedule.hours.has(t.getUTCHours())) {
      t.setUTCHours(t.getUTCHours() + 1, 0, 0, 0)
      continue
    }
    if (!cronSchedule.minutes.has(t.getUTCMinutes())) {
      t.setUTCMinutes(t.getUTCMinutes() + 1, 0, 0)
      continue
    }
    return t
  }
  return undefined
}
