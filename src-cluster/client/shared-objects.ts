// One parsed copy per object version in a process. Components that run together (the one-process
// control plane: API server, scheduler, controller manager, hollow nodes; the node agent) each
// keep informers of the same resources, and every informer used to hold its own parse of every
// object. Informers hand what they decode to share(): an object version already held by another
// informer in this process (same apiVersion, kind, uid and resourceVersion — a resourceVersion
// names one stored version — and the same transform) is returned instead, so the copies the
// other clients parsed are garbage at once and the caches hold one.
//
// A shared object is read-only: a component that wants to change one copies it first (as with
// client-go's shared informers). Under tests (VITEST) or KUBELAB_FREEZE_SHARED=1 shared objects
// are deep-frozen, so a write to one throws where it happens.
import type { KubeObject } from '../api/object'

const table = new Map<string, WeakRef<KubeObject>>()
const registry = new FinalizationRegistry<string>((key) => {
  const ref = table.get(key)
  // The entry may already hold a newer object under the same key (the old one died later).
  if (ref && ref.deref() === undefined) table.delete(key)
})

const env = (typeof process !== 'undefined' ? process.env : {}) as Record<string, string | undefined>
let freezing = env.KUBELAB_FREEZE_SHARED === '1' || (env.KUBELAB_FREEZE_SHARED !== '0' && !!env.VITEST)

/** Turn deep-freezing of shared objects on or off (tests of the table itself). */
export function freezeSharedObjects(on: boolean): void {
  freezing = on
}

function deepFreeze(v: unknown): void {
  if (v === null || typeof v !== 'object' || Object.isFrozen(v)) return
  Object.freeze(v)
  if (Array.isArray(v)) for (const x of v) deepFreeze(x)
  else for (const k in v) deepFreeze((v as Record<string, unknown>)[k])
}

/**
 * The process's copy of this object version: `obj` itself the first time (then kept, weakly, for
 * the next informer that decodes it), the earlier one afterwards. `variant` names the transform
 * applied to it (e.g. managedFields dropped), so differently transformed copies never meet.
 * Objects without uid or resourceVersion are returned as they are.
 */
export function share<T extends KubeObject>(obj: T, variant: string): T {
  return shareAs(obj, variant, itself)
}

const itself = <T>(o: T): T => o

/**
 * share() of `make(obj)`, the transform `variant` names (which keeps apiVersion, kind, uid and
 * resourceVersion): made only when the process holds no copy of that version yet, so the
 * informers after the first one that decode it allocate nothing for it.
 */
export function shareAs<T extends KubeObject>(source: T, variant: string, make: (obj: T) => T): T {
  const m = source.metadata
  const uid = m?.uid
  const rv = m?.resourceVersion
  if (!uid || !rv) return make(source)
  const key = `${variant}|${source.apiVersion ?? ''}|${source.kind ?? ''}|${uid}|${rv}`
  const held = table.get(key)?.deref()
  if (held !== undefined) return held as T
  const obj = make(source)
  if (freezing) deepFreeze(obj)
  table.set(key, new WeakRef(obj))
  registry.register(obj, key)
  return obj
}

/** Object versions the table knows of (live or not yet collected): for tests and benchmarks. */
export function sharedObjectCount(): number {
  return table.size
}
