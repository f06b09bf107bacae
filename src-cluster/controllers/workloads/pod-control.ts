// Creating and deleting pods on behalf of a controller, with the Events upstream writes
// ("Created pod: web-abc12", "Deleted pod: web-abc12") and its slow-start batching.
import type { KubeObject } from '../../api/object'
import type { EventRecorder } from '../../client/events'
import type { Client } from '../../client/types'
import type { OwnerReference, PodTemplateSpec } from './types'
import { errorCode, errorMessage } from './util'
import type { PodObj } from '../../kit/objects'
import { RES } from '../../kit/resources'

/** A pod made from a template: its labels, annotations, finalizers and spec, owned by `ref`. */
export function podFromTemplate(
  template: PodTemplateSpec | undefined,
  namespace: string,
  ref: OwnerReference,
  naming: { name?: string; generateName?: string },
): PodObj {
  const tm = template?.metadata ?? {}
  const metadata: Record<string, unknown> = { namespace, ownerReferences: [ref] }
  if (naming.name) metadata.name = naming.name
  if (naming.generateName) metadata.generateName = naming.generateName
  if (tm.labels) metadata.labels = { ...tm.labels }
  if (tm.annotations) metadata.annotations = { ...tm.annotations }
  if (tm.finalizers) metadata.finalizers = [...tm.finalizers]
  return { apiVersion: 'v1', kind: 'Pod', metadata, spec: structuredClone(template?.spec ?? { containers: [] }) } as PodObj
}

export class PodControl {
  constructor(
    private readonly client: Client,
    private readonly recorder: EventRecorder,
  ) {}

  /** Create a pod for `owner`; records SuccessfulCreate or FailedCreate. Throws on failure. */
  async create(owner: KubeObject, pod: PodObj): Promise<PodObj> {
    const ns = String(pod.metadata?.namespace ?? owner.metadata?.namespace)
    try {
      const made = await this.client.create<PodObj>(RES.pods, ns, pod)
      this.recorder.event(owner, 'Normal', 'SuccessfulCreate', `Created pod: ${made.metadata?.name}`)
      return made
    } catch (e) {
      // A namespace being deleted refuses new pods; that is expected, not worth an Event.
      if (errorCode(e) !== 403 || !/being terminated/.test(errorMessage(e))) {
        this.recorder.event(owner, 'Warning', 'FailedCreate', `Error creating: ${errorMessage(e)}`)
      }
      throw e
    }
  }

  /** Delete a pod of `owner`; false when it was already gone. Records SuccessfulDelete or FailedDelete. */
  async delete(owner: KubeObject, pod: PodObj): Promise<boolean> {
    const name = String(pod.metadata?.name)
    try {
      const deleted = await this.client.delete(RES.pods, pod.metadata?.namespace, name, {
        preconditions: pod.metadata?.uid ? { uid: pod.metadata.uid } : undefined,
      })
      if (deleted) this.recorder.event(owner, 'Normal', 'SuccessfulDelete', `Deleted pod: ${name}`)
      return deleted
    } catch (e) {
      // 409: the uid precondition failed, so the pod we meant is gone already.
      if (errorCode(e) === 404 || errorCode(e) === 409) return false
      this.recorder.event(owner, 'Warning', 'FailedDelete', `Error deleting: ${errorMessage(e)}`)
      throw e
    }
  }
}

/**
 * upstream's slowStartBatch: run `count` calls in batches of 1, 2, 4, ... and stop at the first
 * batch with a failure, so a systematic error (quota, bad template) costs one call, not hundreds.
 * Returns how many succeeded and the first error.
 */
export async function slowStartBatch(count: number, initial: number, fn: () => Promise<unknown>): Promise<{ ok: number; error?: unknown }> {
  let remaining = count
  let ok = 0
  for (let size = Math.min(remaining, initial); size > 0; size = Math.min(2 * size, remaining)) {
    const results = await Promise.allSettled(Array.from({ length: size }, () => fn()))
    const failed = results.find((r) => r.status === 'rejected') as PromiseRejectedResult | undefined
    ok += results.filter((r) => r.status === 'fulfilled').length
    if (failed) return { ok, error: failed.reason }
    remaining -= size
  }
  return { ok }
}
