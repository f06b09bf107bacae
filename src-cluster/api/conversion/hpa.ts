// autoscaling/v1 HorizontalPodAutoscaler ⇄ autoscaling/v2 (the stored version). v1 only knows a
// CPU utilization target; everything else v2 holds travels in the annotations upstream uses,
// so a v1 client's read-modify-write loses nothing.
import type { KubeObject } from '../object'

type Obj = Record<string, unknown>
const A = 'autoscaling.alpha.kubernetes.io/'
const METRICS = A + 'metrics'
const CURRENT = A + 'current-metrics'
const CONDITIONS = A + 'conditions'
const BEHAVIOR = A + 'behavior'

const obj = (v: unknown): Obj => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {})
const arr = (v: unknown): Obj[] => (Array.isArray(v) ? (v as Obj[]) : [])

function isCpuUtilization(m: Obj, key: 'target' | 'current'): boolean {
  const r = obj(m.resource)
  return (
    m.type === 'Resource' &&
    r.name === 'cpu' &&
    typeof obj(r[key]).averageUtilization === 'number' &&
    (key === 'current' || obj(r.target).type === 'Utilization')
  )
}

function parseJson(text: string | undefined): unknown {
  if (!text) return undefined
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

function setOrDrop(o: Obj, key: string, value: unknown): void {
  if (value === undefined || (Array.isArray(value) && value.length === 0)) delete o[key]
  else o[key] = value
}

export function hpaV2ToV1(v2: KubeObject): KubeObject {
  const spec = obj(v2.spec)
  const status = v2.status === undefined ? undefined : obj(v2.status)
  const annotations: Record<string, string> = { ...(v2.metadata?.annotations ?? {}) }
  const metrics = arr(spec.metrics)
  const cpu = metrics.find((m) => isCpuUtilization(m, 'target'))
  const others = metrics.filter((m) => m !== cpu)
  if (others.length) annotations[METRICS] = JSON.stringify(others)
  if (spec.behavior) annotations[BEHAVIOR] = JSON.stringify(spec.behavior)
  const v1Spec: Obj = { scaleTargetRef: spec.scaleTargetRef, maxReplicas: spec.maxReplicas }
  if (spec.minReplicas !== undefined) v1Spec.minReplicas = spec.minReplicas
  if (cpu) v1Spec.targetCPUUtilizationPercentage = obj(obj(cpu.resource).target).averageUtilization
  let v1Status: Obj | undefined
  if (status) {
    const current = arr(status.currentMetrics)
    const cpuNow = current.find((m) => isCpuUtilization(m, 'current'))
    const otherNow = current.filter((m) => m !== cpuNow)
    if (otherNow.length) annotations[CURRENT] = JSON.stringify(otherNow)
    if (arr(status.conditions).length) annotations[CONDITIONS] = JSON.stringify(status.conditions)
    v1Status = { currentReplicas: status.currentReplicas ?? 0, desiredReplicas: status.desiredReplicas ?? 0 }
    for (const k of ['observedGeneration', 'lastScaleTime']) if (status[k] !== undefined) v1Status[k] = status[k]
    if (cpuNow) v1Status.currentCPUUtilizationPercentage = obj(obj(cpuNow.resource).current).averageUtilization
  }
  const meta = { ...v2.metadata }
  if (Object.keys(annotations).length) meta.annotations = annotations
  else delete meta.annotations
  const out: KubeObject = { ...v2, apiVersion: 'autoscaling/v1', kind: 'HorizontalPodAutoscaler', metadata: meta, spec: v1Spec }
  if (v1Status) out.status = v1Status
  return out
}

export function hpaV1ToV2(v1: KubeObject): KubeObject {
  const spec = obj(v1.spec)
  const annotations: Record<string, string> = { ...(v1.metadata?.annotations ?? {}) }
  const extraMetrics = arr(parseJson(annotations[METRICS]))
  const behavior = parseJson(annotations[BEHAVIOR])
  const extraCurrent = arr(parseJson(annotations[CURRENT]))
  const conditions = arr(parseJson(annotations[CONDITIONS]))
  for (const k of [METRICS, BEHAVIOR, CURRENT, CONDITIONS]) delete annotations[k]
  const metrics: Obj[] = []
  if (typeof spec.targetCPUUtilizationPercentage === 'number') {
    metrics.push({ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: spec.targetCPUUtilizationPercentage } } })
  }
  metrics.push(...extraMetrics)
  const v2Spec: Obj = { scaleTargetRef: spec.scaleTargetRef, maxReplicas: spec.maxReplicas }
  if (spec.minReplicas !== undefined) v2Spec.minReplicas = spec.minReplicas
  setOrDrop(v2Spec, 'metrics', metrics)
  setOrDrop(v2Spec, 'behavior', behavior)
  const meta = { ...v1.metadata }
  if (Object.keys(annotations).length) meta.annotations = annotations
  else delete meta.annotations
  const out: KubeObject = { ...v1, apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: meta, spec: v2Spec }
  if (v1.status !== undefined) {
    const st = obj(v1.status)
    const current: Obj[] = []
    if (typeof st.currentCPUUtilizationPercentage === 'number')
      current.push({ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: st.currentCPUUtilizationPercentage } } })
    current.push(...extraCurrent)
    const v2Status: Obj = { currentReplicas: st.currentReplicas ?? 0, desiredReplicas: st.desiredReplicas ?? 0 }
    for (const k of ['observedGeneration', 'lastScaleTime']) if (st[k] !== undefined) v2Status[k] = st[k]
    setOrDrop(v2Status, 'currentMetrics', current)
    setOrDrop(v2Status, 'conditions', conditions)
    out.status = v2Status
  }
  return out
}
