// The HPA's arithmetic, kept free of I/O so it can be tested directly: upstream's replica
// calculation for resource metrics (usage ratio with a tolerance, unready and missing pods
// handled conservatively) and the behavior rules (stabilization windows, rate policies).
import type { HPAScalingRules } from 'kubernetes-types/autoscaling/v2'

export interface PodSample {
  readonly name: string
  /** Usage of the resource (cores for cpu, bytes for memory), undefined when no metrics. */
  readonly usage?: number
  /** Sum of the containers' requests for the resource. */
  readonly request: number
  readonly ready: boolean
}

export interface ReplicaResult {
  readonly replicas: number
  /** Average utilization in percent of request (utilization targets), rounded down. */
  readonly utilization?: number
  /** Average usage per pod. */
  readonly averageUsage: number
}

/**
 * Desired replicas for one resource metric. `target` is a percentage of request
 * (kind 'Utilization') or a per-pod amount (kind 'AverageValue').
 */
export function resourceReplicas(
  current: number,
  pods: readonly PodSample[],
  target: { kind: 'Utilization' | 'AverageValue'; value: number },
  tolerance: number,
): ReplicaResult {
  const withMetrics = pods.filter((p) => p.usage !== undefined)
  const readyWith = withMetrics.filter((p) => p.ready)
  const unready = withMetrics.filter((p) => !p.ready)
  const missing = pods.filter((p) => p.usage === undefined)
  if (readyWith.length === 0) throw new Error('did not receive metrics for any ready pods')
  const ratioOf = (samples: { usage: number; request: number }[]): { ratio: number; utilization: number; avg: number } => {
    const usage = samples.reduce((a, p) => a + p.usage, 0)
    const avg = usage / samples.length
    if (target.kind === 'AverageValue') return { ratio: avg / target.value, utilization: 0, avg }
    const requests = samples.reduce((a, p) => a + p.request, 0)
    if (requests <= 0) throw new Error("missing request for the resource in the pods' containers")
    const utilization = (usage * 100) / requests
    return { ratio: utilization / target.value, utilization, avg }
  }
  const base = readyWith.map((p) => ({ usage: p.usage!, request: p.request }))
  const first = ratioOf(base)
  const result = (replicas: number): ReplicaResult => ({
    replicas,
    utilization: target.kind === 'Utilization' ? Math.floor(first.utilization) : undefined,
    averageUsage: first.avg,
  })
  if (unready.length === 0 && missing.length === 0) {
    if (Math.abs(1 - first.ratio) <= tolerance) return result(current)
    return result(Math.ceil(first.ratio * readyWith.length))
  }
  // Conservative fill-in: when scaling down, missing pods use exactly their target; when
  // scaling up, missing and unready pods use nothing.
  const fill: { usage: number; request: number }[] = [...base]
  const perPodTarget = (p: PodSample): number => (target.kind === 'AverageValue' ? target.value : (p.request * target.value) / 100)
  if (first.ratio < 1) for (const p of missing) fill.push({ usage: perPodTarget(p), request: p.request })
  else {
    for (const p of missing) fill.push({ usage: 0, request: p.request })
    for (const p of unready) fill.push({ usage: 0, request: p.request })
  }
  const second = ratioOf(fill)
  if (Math.abs(1 - second.ratio) <= tolerance || (first.ratio < 1 && second.ratio > 1) || (first.ratio > 1 && second.ratio < 1)) return result(current)
  const replicas = Math.ceil(second.ratio * fill.length)
  if ((second.ratio < 1 && replicas > current) || (second.ratio > 1 && replicas < current)) return result(current)
  return result(replicas)
}

export interface Recommendation {
  readonly at: number
  readonly replicas: number
}

export interface ScaleEvent {
  readonly at: number
  /** Positive for scale-ups, negative for scale-downs. */
  readonly change: number
}

export const DEFAULT_SCALE_UP: HPAScalingRules = {
  stabilizationWindowSeconds: 0,
  selectPolicy: 'Max',
  policies: [
    { type: 'Pods', value: 4, periodSeconds: 15 },
    { type: 'Percent', value: 100, periodSeconds: 15 },
  ],
}
export const DEFAULT_SCALE_DOWN: HPAScalingRules = {
  stabilizationWindowSeconds: 300,
  selectPolicy: 'Max',
  policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }],
}

/** Stabilization: never above the lowest recent recommendation (up) or below the highest (down). */
export function stabilize(current: number, desired: number, history: readonly Recommendation[], now: number, upWindowS: number, downWindowS: number): number {
  let up = desired
  let down = desired
  for (const r of history) {
    if (r.at > now - upWindowS * 1000) up = Math.min(up, r.replicas)
    if (r.at > now - downWindowS * 1000) down = Math.max(down, r.replicas)
  }
  let rec = current
  if (rec < up) rec = up
  if (rec > down) rec = down
  return rec
}

function changedWithin(events: readonly ScaleEvent[], now: number, periodS: number, sign: 1 | -1): number {
  return events.filter((e) => e.at > now - periodS * 1000 && Math.sign(e.change) === sign).reduce((a, e) => a + Math.abs(e.change), 0)
}

/** The most replicas the scale-up policies allow now. */
export function scaleUpLimit(current: number, events: readonly ScaleEvent[], rules: HPAScalingRules, now: number): number {
  if (rules.selectPolicy === 'Disabled') return current
  const proposals = (rules.policies ?? []).map((p) => {
    const start = current - changedWithin(events, now, p.periodSeconds, 1)
    return p.type === 'Pods' ? start + p.value : Math.ceil(start * (1 + p.value / 100))
  })
  if (!proposals.length) return Infinity
  return rules.selectPolicy === 'Min' ? Math.min(...proposals) : Math.max(...proposals)
}

/** The fewest replicas the scale-down policies allow now. */
export function scaleDownLimit(current: number, events: readonly ScaleEvent[], rules: HPAScalingRules, now: number): number {
  if (rules.selectPolicy === 'Disabled') return current
  const proposals = (rules.policies ?? []).map((p) => {
    const start = current + changedWithin(events, now, p.periodSeconds, -1)
    return p.type === 'Pods' ? start - p.value : Math.trunc(start * (1 - p.value / 100))
  })
  if (!proposals.length) return 0
  return rules.selectPolicy === 'Min' ? Math.max(...proposals) : Math.min(...proposals)
}
