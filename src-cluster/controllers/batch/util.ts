// Small helpers shared by the batch, autoscaling and disruption controllers: owner references,
// pod readiness and conditions.
import type { Pod } from 'kubernetes-types/core/v1'
import type { OwnerReference } from 'kubernetes-types/meta/v1'
import type { KubeObject } from '../../api/object'
import { rfc3339 } from '../../kit/time'

export { rfc3339 }

export function controllerRef(obj: KubeObject): OwnerReference | undefined {
  const refs = (obj.metadata as { ownerReferences?: OwnerReference[] } | undefined)?.ownerReferences
  return refs?.find((r) => r.controller === true)
}

export function isPodReady(pod: Pod): boolean {
  return !!pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')
}

export function isPodTerminal(pod: Pod): boolean {
  return pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed'
}

/** Objects as informers hold them may lack kind/apiVersion; Events need them. */
export function withKind<T extends object>(obj: T, apiVersion: string, kind: string): T & KubeObject {
  return { ...obj, apiVersion, kind } as T & KubeObject
}

export interface ConditionLike {
  type: string
  status: string
  reason?: string
  message?: string
  lastTransitionTime?: string
  lastProbeTime?: string
  lastUpdateTime?: string
}

/**
 * Set a condition in place: the transition time changes only when the status does, as
 * upstream's helpers do. Returns the new list.
 */
export function setCondition<C extends ConditionLike>(
  list: C[] | undefined,
  cond: C,
  now: Date,
  probeFields: readonly ('lastProbeTime' | 'lastUpdateTime')[] = [],
): C[] {
  const out = [...(list ?? [])]
  const i = out.findIndex((c) => c.type === cond.type)
  const stamp = rfc3339(now)
  const next: C = { ...cond }
  for (const f of probeFields) next[f] = stamp
  if (i < 0) {
    next.lastTransitionTime = stamp
    out.push(next)
    return out
  }
  const prev = out[i]!
  next.lastTransitionTime = prev.status === cond.status && prev.lastTransitionTime ? prev.lastTransitionTime : stamp
  if (prev.status === cond.status && prev.reason === cond.reason && prev.message === cond.message) {
    // Unchanged: keep probe times too so status writes stay no-ops.
    out[i] = prev
    return out
  }
  out[i] = next
  return out
}

export function findCondition<C extends ConditionLike>(list: readonly C[] | undefined, type: string): C | undefined {
  return list?.find((c) => c.type === type)
}

/** Compact list of integers as "0-2,5,7-8" (Job status.completedIndexes / failedIndexes). */
export function formatIndexes(ix: Iterable<number>): string {
  const sorted = [...new Set(ix)].sort((a, b) => a - b)
  const parts: string[] = []
  for (let i = 0; i < sorted.length;) {
    let j = i
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++
    parts.push(i === j ? `${sorted[i]}` : `${sorted[i]}-${sorted[j]}`)
    i = j + 1
  }
  return parts.join(',')
}

export function parseIndexes(text: string | undefined): Set<number> {
  const out = new Set<number>()
  for (const part of (text ?? '').split(',')) {
    if (!part) continue
    const [a, b] = part.split('-').map(Number)
    if (a === undefined || !Number.isInteger(a)) continue
    for (let i = a; i <= (b !== undefined && Number.isInteger(b) ? b : a); i++) out.add(i)
  }
  return out
}
