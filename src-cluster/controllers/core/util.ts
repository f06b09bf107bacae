// Small helpers the core controllers share: resource references, typed object aliases, API
// error tests, and the read-modify-write patterns every controller uses.
import type { KubeObject } from '../../api/object'
import type { Client, ResourceRef } from '../../client/types'
import type { Pod } from 'kubernetes-types/core/v1'

function codeOf(e: unknown): number | undefined {
  const c = (e as { code?: unknown } | null)?.code
  return typeof c === 'number' ? c : undefined
}
export const isConflict = (err: unknown): boolean => codeOf(err) === 409
export const isNotFound = (err: unknown): boolean => codeOf(err) === 404
/** 409 AlreadyExists on create (same code as a conflict; the reason tells them apart). */
export const isAlreadyExists = (err: unknown): boolean => codeOf(err) === 409 && (err as { reason?: string }).reason === 'AlreadyExists'

export function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b)
}

/** Whether the pod's Ready condition is True. */
export function podIsReady(pod: Pod): boolean {
  return (pod.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True')
}

export function podIsTerminal(pod: Pod): boolean {
  const phase = pod.status?.phase
  return phase === 'Succeeded' || phase === 'Failed'
}

/** Remove one finalizer from an object (fresh read, resourceVersion-guarded merge patch). Returns false if it was not there. */
export async function removeFinalizer(client: Client, res: ResourceRef, obj: KubeObject, finalizer: string): Promise<boolean> {
  const cur = await client.get(res, obj.metadata?.namespace, String(obj.metadata?.name))
  if (!cur || cur.metadata?.uid !== obj.metadata?.uid) return false
  const fins = cur.metadata?.finalizers ?? []
  if (!fins.includes(finalizer)) return false
  const rest = fins.filter((f) => f !== finalizer)
  await client.patch(
    res,
    cur.metadata?.namespace,
    String(cur.metadata?.name),
    { metadata: { finalizers: rest.length ? rest : null, resourceVersion: cur.metadata?.resourceVersion } },
    'merge',
  )
  return true
}
