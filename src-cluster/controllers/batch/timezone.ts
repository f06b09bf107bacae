// Cron schedules in a CronJob's spec.timeZone: cron.ts works on UTC wall clocks, so times are
// shifted into the zone's wall clock, matched, and shifted back (the offset re-read at the
// result so daylight-saving changes land right).
import { nextAfter, type CronSchedule } from '../../api/cron'
import { rfc3339 } from '../../kit/time'

/** Throws an Error naming the zone when the runtime does not know it. */
export function checkTimeZone(tz: string): void {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz })
  } catch {
    throw new Error(`unknown time zone ${tz}`)
  }
}

/** Offset of `tz` from UTC at instant `timeMs`, in ms (wall = timeMs + offset). */
export function zoneOffsetMs(tz: string, timeMs: number): number {
  const f = new Intl.DateTimeFormat('en-US', {
    timeZone: tz,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
  })
  const parts = Object.fromEntries(f.formatToParts(new Date(timeMs)).map((p) => [p.type, p.value]))
  const wall = Date.UTC(Number(parts.year), Number(parts.month) - 1, Number(parts.day), Number(parts.hour), Number(parts.minute), Number(parts.second))
  return wall - Math.floor(timeMs / 1000) * 1000
}

/** Next time after `after` matching the schedule in time zone `tz` (UTC when undefined). */
export function nextInZone(cronSchedule: CronSchedule, after: Date, tz: string | undefined): Date | undefined {
  if (!tz || tz === 'UTC' || tz === 'Etc/UTC' || cronSchedule.everyMs !== undefined) return nextAfter(cronSchedule, after)
  const off = zoneOffsetMs(tz, after.getTime())
  const wall = nextAfter(cronSchedule, new Date(after.getTime() + off))
  if (!wall) return undefined
  let t = wall.getTime() - off
  t = wall.getTime() - zoneOffsetMs(tz, t)
  // A wall time skipped by a DST jump maps before `after`; move on to the next match.
  return t > after.getTime() ? new Date(t) : nextInZone(cronSchedule, new Date(after.getTime() + 60_000), tz)
}

/** RFC 3339 with the zone's offset, as upstream formats the scheduled-timestamp annotation. */
export function formatInZone(date: Date, tz: string | undefined): string {
  const off = tz ? zoneOffsetMs(tz, date.getTime()) : 0
  if (off === 0) return rfc3339(date)
  const wall = new Date(date.getTime() + off).toISOString().replace(/\.\d{3}Z$/, '')
  const sign = off < 0 ? '-' : '+'
  const m = Math.abs(off) / 60_000
  return `${wall}${sign}${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`
}
