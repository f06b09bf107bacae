// Pure parts of the batch/autoscaling controllers: index lists, back-off, cron in time zones,
// CronJob names, the HPA's replica arithmetic and behavior limits, PDB percentages.
import { describe, expect, it } from 'vitest'
import { parseCron } from '../../src-cluster/api/cron'
import { backoffDelayMs, formatInZone, jobNameFor, mostRecentScheduleTime, nextInZone } from '../../src-cluster/controllers/batch'
import { formatIndexes, parseIndexes } from '../../src-cluster/controllers/batch/util'
import { DEFAULT_SCALE_DOWN, DEFAULT_SCALE_UP, resourceReplicas, scaleDownLimit, scaleUpLimit, stabilize } from '../../src-cluster/controllers/autoscaling'
import { scaledValue } from '../../src-cluster/controllers/disruption'

describe('job helpers', () => {
  it('formats and parses completed index lists', () => {
    expect(formatIndexes([4, 0, 1, 2, 7, 8])).toBe('0-2,4,7-8')
    expect([...parseIndexes('0-2,4')]).toEqual([0, 1, 2, 4])
  })
  it('doubles the back-off from 10 s up to 6 min', () => {
    expect([1, 2, 3, 10].map(backoffDelayMs)).toEqual([10_000, 20_000, 40_000, 360_000])
  })
})

describe('cron helpers', () => {
  it('names jobs by scheduled minutes since the epoch', () => {
    expect(jobNameFor('tick', new Date(Date.UTC(2026, 0, 1, 0, 5)))).toBe(`tick-${Date.UTC(2026, 0, 1, 0, 5) / 60000}`)
  })
  it('finds the latest missed time', () => {
    const r = mostRecentScheduleTime(parseCron('*/10 * * * *'), new Date(Date.UTC(2026, 0, 1, 0, 0)), new Date(Date.UTC(2026, 0, 1, 0, 35)), undefined)
    expect(r.missed).toBe(3)
    expect(r.time?.toISOString()).toBe('2026-01-01T00:30:00.000Z')
  })
  it('evaluates schedules in a time zone', () => {
    const next = nextInZone(parseCron('0 9 * * *'), new Date(Date.UTC(2026, 0, 1, 0, 0)), 'America/New_York')
    expect(next?.toISOString()).toBe('2026-01-01T14:00:00.000Z')
    expect(formatInZone(next!, 'America/New_York')).toBe('2026-01-01T09:00:00-05:00')
  })
})

describe('HPA arithmetic', () => {
  const pods = (usages: (number | undefined)[], ready = true) => usages.map((u, i) => ({ name: `p${i}`, usage: u, request: 0.1, ready }))
  it('scales by the usage ratio outside the tolerance', () => {
    expect(resourceReplicas(2, pods([0.09, 0.09]), { kind: 'Utilization', value: 50 }, 0.1)).toMatchObject({ replicas: 4, utilization: 90 })
    expect(resourceReplicas(2, pods([0.052, 0.052]), { kind: 'Utilization', value: 50 }, 0.1).replicas).toBe(2)
  })
  it('does not scale down on missing metrics assumed at target', () => {
    expect(resourceReplicas(3, pods([0.04, 0.04, undefined]), { kind: 'Utilization', value: 50 }, 0.1).replicas).toBe(3)
  })
  it('stabilizes scale-down over the window', () => {
    const hist = [{ at: 1000, replicas: 5 }]
    expect(stabilize(5, 2, hist, 2000, 0, 300)).toBe(5)
    expect(stabilize(5, 2, hist, 1000 + 301_000, 0, 300)).toBe(2)
  })
  it('limits the scale rate by the default policies', () => {
    expect(scaleUpLimit(2, [], DEFAULT_SCALE_UP, 0)).toBe(6)
    expect(scaleUpLimit(10, [], DEFAULT_SCALE_UP, 0)).toBe(20)
    expect(scaleDownLimit(10, [], DEFAULT_SCALE_DOWN, 0)).toBe(0)
  })
})

describe('PDB values', () => {
  it('scales percentages', () => {
    expect(scaledValue('50%', 3, true)).toBe(2)
    expect(scaledValue(1, 3, true)).toBe(1)
    expect(() => scaledValue('x', 3, true)).toThrow(/percentage/)
  })
})
