// Small pieces every workload controller shares: template hashing as upstream renders it,
// int-or-percent arithmetic, pod readiness/availability, controller references.
import type { KubeObject } from '../../api/object'
import type { OwnerReference } from './types'
import type { PodObj } from '../../kit/objects'

// ---------------------------------------------------------------------------------------------
// Hashing
// ---------------------------------------------------------------------------------------------

/** FNV-1a, 32 bit, over the UTF-8 bytes of `text`. */
export function fnv32a(text: string, seed = 0x811c9dc5): number {
  let h = seed >>> 0
  for (const b of Buffer.from(text, 'utf8')) {
    h ^= b
    h = Math.imul(h, 0x01000193) >>> 0
  }
  return h >>> 0
}

// Upstream's rand.SafeEncodeString alphabet: no vowels (no words) and no look-alike characters.
const SAFE = 'bcdfghjklmnpqrstvwxz2456789'

/** Maps each character of `text` into the safe alphabet, as upstream does for hashes in names. */
export function safeEncode(text: string): string {
  let out = ''
  for (let i = 0; i < text.length; i++) out += SAFE[text.charCodeAt(i) % SAFE.length]
  return out
}

/**
 * JSON with sorted keys and with nulls, empty objects and empty arrays dropped, so two
 * semantically equal objects (as apimachinery's Semantic.DeepEqual sees them) print the same.
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(normalize(value)) ?? 'null'
}

function normalize(v: unknown): unknown {
  if (Array.isArray(v)) {
    const a = v.map(normalize).filter((x) => x !== undefined)
    return a.length ? a : undefined
  }
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {}
    for (const k of Object.keys(v).sort()) {
      const n = normalize((v as Record<string, unknown>)[k])
      if (n !== undefined) out[k] = n
    }
    return Object.keys(out).length ? out : undefined
  }
  return v === null ? undefined : v
}

export function semanticEqual(a: unknown, b: unknown): boolean {
  return canonicalJson(a) === canonicalJson(b)
}

/**
 * semanticEqual for two label maps (string values; absent, null and empty alike), without
 * serializing them: the ReplicaSet controller asks it on every pod update.
 */
export function labelsEqual(
  a: Readonly<Record<string, string | null | undefined>> | undefined,
  b: Readonly<Record<string, string | null | undefined>> | undefined,
): boolean {
  if (a === b) return true
  let n = 0
  if (a)
    for (const k in a) {
      const v = a[k]
      if (v === null || v === undefined) continue
      if (b?.[k] !== v) return false
      n++
    }
  let m = 0
  if (b) for (const k in b) if (b[k] !== null && b[k] !== undefined) m++
  return n === m
}

/** Hash of an object plus the collision count, rendered like upstream's ComputeHash (e.g. "5d4f8b7c9"). */
export function computeHash(obj: unknown, collisionCount?: number): string {
  let text = canonicalJson(obj)
  if (collisionCount !== undefined && collisionCount !== null) text += `#${collisionCount}`
  return safeEncode(String(fnv32a(text)))
}

// ---------------------------------------------------------------------------------------------
// Int or percent (maxSurge, maxUnavailable)
// ---------------------------------------------------------------------------------------------

/** Resolves an IntOrString against `total`: percentages round up or down as asked. */
export function scaledValue(value: number | string | undefined, total: number, roundUp: boolean, fallback = 0): number {
  if (value === undefined || value === null) return fallback
  if (typeof value === 'number') return value
  const m = /^(\d+)%$/.exec(value)
  if (!m) {
    if (/^\d+$/.test(value)) return Number(value)
    throw new Error(`invalid value for IntOrString: invalid value ${JSON.stringify(value)}: must be an integer or a percentage like "25%"`)
  }
  const exact = (Number(m[1]) * total) / 100
  return roundUp ? Math.ceil(exact) : Math.floor(exact)
}

// ---------------------------------------------------------------------------------------------
// Pods
// ---------------------------------------------------------------------------------------------

export function podReadyCondition(pod: PodObj) {
  return pod.status?.conditions?.find((c) => c.type === 'Ready')
}

export function isPodReady(pod: PodObj): boolean {
  return podReadyCondition(pod)?.status === 'True'
}

/** Ready for at least minReadySeconds (upstream's IsPodAvailable). */
export function isPodAvailable(pod: PodObj, minReadySeconds: number, now: Date): boolean {
  const c = podReadyCondition(pod)
  if (c?.status !== 'True') return false
  if (!minReadySeconds) return true
  const since = c.lastTransitionTime ? Date.parse(c.lastTransitionTime) : NaN
  return !Number.isNaN(since) && since + minReadySeconds * 1000 <= now.getTime()
}

/** Milliseconds until a ready pod becomes available, or undefined when that is not pending. */
export function msUntilAvailable(pod: PodObj, minReadySeconds: number, now: Date): number | undefined {
  const c = podReadyCondition(pod)
  if (c?.status !== 'True' || !minReadySeconds || !c.lastTransitionTime) return undefined
  const ms = Date.parse(c.lastTransitionTime) + minReadySeconds * 1000 - now.getTime()
  return ms > 0 ? ms : undefined
}

export function isTerminal(pod: PodObj): boolean {
  return pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed'
}

export function isTerminating(obj: KubeObject): boolean {
  return !!obj.metadata?.deletionTimestamp
}

/** Pods that count toward a controller's replicas: not finished and not being deleted. */
export function isPodActive(pod: PodObj): boolean {
  return !isTerminal(pod) && !isTerminating(pod)
}

export function creationMs(obj: KubeObject): number {
  const t = obj.metadata?.creationTimestamp
  return t ? Date.parse(t) : 0
}

/** Oldest first; ties broken by name, as upstream's ByCreationTimestamp. */
export function byCreation(a: KubeObject, b: KubeObject): number {
  return creationMs(a) - creationMs(b) || String(a.metadata?.name).localeCompare(String(b.metadata?.name))
}

// ---------------------------------------------------------------------------------------------
// Owner references
// ---------------------------------------------------------------------------------------------

export function controllerRef(obj: KubeObject): OwnerReference | undefined {
  const refs = (obj.metadata?.ownerReferences ?? []) as unknown as OwnerReference[]
  return refs.find((r) => r.controller === true)
}

/** The ownerReference a controller puts on what it creates. */
export function newControllerRef(owner: KubeObject, apiVersion: string, kind: string): OwnerReference {
  return {
    apiVersion,
    kind,
    name: String(owner.metadata?.name),
    uid: String(owner.metadata?.uid),
    controller: true,
    blockOwnerDeletion: true,
  }
}

export function isControlledBy(obj: KubeObject, owner: KubeObject): boolean {
  return controllerRef(obj)?.uid === owner.metadata?.uid
}

/** Random lower-case alphanumerics from the safe alphabet. */
export function randomSuffix(chars = 5): string {
  let s = ''
  for (let i = 0; i < chars; i++) s += SAFE[Math.floor(Math.random() * SAFE.length)]
  return s
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}

/** HTTP status of a client error, 0 when it is not one. */
export function errorCode(err: unknown): number {
  const c = (err as { code?: unknown } | undefined)?.code
  return typeof c === 'number' ? c : 0
}
