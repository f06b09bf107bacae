// upstream's ControllerRefManager: a controller owns what its selector matches. Orphans that
// match are adopted (a controllerRef is patched in); owned objects that stop matching are
// released (the controllerRef is patched out). Objects owned by another controller are left alone.
import type { KubeObject } from '../../api/object'
import { matchLabels, type LabelSelector } from '../../api/selectors'
import type { Client, ResourceRef } from '../../client/types'
import { controllerRef, errorCode, isTerminating, newControllerRef } from './util'

export interface ClaimOwner {
  readonly obj: KubeObject
  readonly apiVersion: string
  readonly kind: string
  readonly selector: LabelSelector
  /** Extra membership test besides the selector (StatefulSet: the name must be `<set>-<ordinal>`). */
  readonly isMember?: (o: KubeObject) => boolean
}

/**
 * The objects `owner` controls after adopting matching orphans and releasing non-matching
 * children. Patches go through the client; objects that vanished meanwhile are skipped.
 */
export async function claimObjects<T extends KubeObject>(client: Client, res: ResourceRef, owner: ClaimOwner, candidates: T[]): Promise<T[]> {
  const out: T[] = []
  const ownerUid = owner.obj.metadata?.uid
  const matches = (o: T) => matchLabels(owner.selector, o.metadata?.labels) && (owner.isMember?.(o) ?? true)
  for (const o of candidates) {
    const ref = controllerRef(o)
    if (ref) {
      if (ref.uid !== ownerUid) continue
      if (matches(o)) {
        out.push(o)
        continue
      }
      // Ours but no longer selected: let it go (unless we are going away anyway).
      if (isTerminating(owner.obj)) continue
      await patchIgnoringGone(client, res, o, {
        metadata: { ownerReferences: [{ $patch: 'delete', uid: ownerUid }], uid: o.metadata?.uid },
      })
      continue
    }
    if (!matches(o) || isTerminating(owner.obj) || isTerminating(o)) continue
    const ref2 = newControllerRef(owner.obj, owner.apiVersion, owner.kind)
    const adopted = await patchIgnoringGone(client, res, o, { metadata: { ownerReferences: [ref2], uid: o.metadata?.uid } })
    if (adopted) out.push(adopted as T)
  }
  return out
}

async function patchIgnoringGone(client: Client, res: ResourceRef, o: KubeObject, patch: unknown): Promise<KubeObject | undefined> {
  try {
    return await client.patch(res, o.metadata?.namespace, String(o.metadata?.name), patch, 'strategic')
  } catch (e) {
    // Gone, or replaced by a new object with the same name (the uid precondition in the patch).
    if (errorCode(e) === 404 || errorCode(e) === 422 || errorCode(e) === 409) return undefined
    throw e
  }
}
