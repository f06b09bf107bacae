// ControllerRevisions: the history DaemonSets and StatefulSets keep of their pod templates, read
// by `kubectl rollout history/undo`. Each revision stores the template as a patch that replaces
// the whole template, as upstream does.
import type { KubeObject } from '../../api/object'
import type { Client } from '../../client/types'
import type { PodTemplateSpec } from './types'
import { computeHash, errorCode, newControllerRef, semanticEqual } from './util'
import type { RevisionObj } from '../../kit/objects'
import { RES } from '../../kit/resources'

export const REVISION_HASH_LABEL = 'controller-revision-hash'

/** The revision data of a template: `{"spec":{"template":{..., "$patch":"replace"}}}`. */
export function templatePatch(template: PodTemplateSpec | undefined): Record<string, unknown> {
  return { spec: { template: { ...structuredClone(template ?? {}), $patch: 'replace' } } }
}

/** The template a revision stores. */
export function templateOfRevision(rev: RevisionObj): PodTemplateSpec {
  const data = (rev.data ?? {}) as { spec?: { template?: PodTemplateSpec & { $patch?: string } } }
  const { $patch: _ignored, ...template } = structuredClone(data.spec?.template ?? {})
  return template
}

export function sameData(rev: RevisionObj, data: unknown): boolean {
  return semanticEqual(rev.data, data)
}

export function maxRevisionNumber(revs: RevisionObj[]): number {
  return revs.reduce((m, r) => Math.max(m, r.revision ?? 0), 0)
}

export interface RevisionOwner {
  readonly obj: KubeObject
  readonly kind: string
  readonly template: PodTemplateSpec | undefined
  readonly collisionCount: number | undefined
}

/**
 * The revision for the owner's current template: an existing one with the same data (moved to
 * the newest revision number when it is not), or a new one named `<owner>-<hash>`. Returns the
 * revision and whether its name collided with a different one (the caller bumps collisionCount).
 */
export async function ensureCurrentRevision(
  client: Client,
  owner: RevisionOwner,
  revs: RevisionObj[],
): Promise<{ revision?: RevisionObj; collided?: boolean }> {
  const data = templatePatch(owner.template)
  const max = maxRevisionNumber(revs)
  const matches = revs.filter((r) => sameData(r, data)).sort((a, b) => (b.revision ?? 0) - (a.revision ?? 0))
  if (matches.length) {
    const cur = matches[0]!
    if ((cur.revision ?? 0) < max) {
      return { revision: await client.update<RevisionObj>(RES.controllerrevisions, { ...cur, revision: max + 1 }) }
    }
    return { revision: cur }
  }
  const hash = computeHash(data, owner.collisionCount)
  const name = `${owner.obj.metadata?.name}-${hash}`
  const rev = {
    apiVersion: 'apps/v1',
    kind: 'ControllerRevision',
    metadata: {
      name,
      namespace: owner.obj.metadata?.namespace,
      labels: { ...(owner.template?.metadata?.labels ?? {}), [REVISION_HASH_LABEL]: hash },
      annotations: { ...(owner.obj.metadata?.annotations ?? {}) },
      ownerReferences: [newControllerRef(owner.obj, 'apps/v1', owner.kind)],
    },
    data,
    revision: max + 1,
  } as unknown as RevisionObj
  delete rev.metadata!.annotations!['kubectl.kubernetes.io/last-applied-configuration']
  try {
    return { revision: await client.create<RevisionObj>(RES.controllerrevisions, owner.obj.metadata?.namespace, rev) }
  } catch (e) {
    if (errorCode(e) !== 409) throw e
    const existing = await client.get<RevisionObj>(RES.controllerrevisions, owner.obj.metadata?.namespace, name)
    if (existing && sameData(existing, data)) return { revision: existing }
    return { collided: true }
  }
}

/** Delete the oldest revisions beyond `limit`, never one in `keep` (names). */
export async function truncateHistory(client: Client, revs: RevisionObj[], keep: Set<string>, limit: number): Promise<void> {
  const removable = revs.filter((r) => !keep.has(String(r.metadata?.name))).sort((a, b) => (a.revision ?? 0) - (b.revision ?? 0))
  const excess = removable.length - limit
  for (const r of removable.slice(0, Math.max(0, excess))) {
    await client.delete(RES.controllerrevisions, r.metadata?.namespace, String(r.metadata?.name)).catch((e: unknown) => {
      if (errorCode(e) !== 404) throw e
    })
  }
}
