// What the four workload controllers share: the framework's ControllerQueue fed by informer
// handlers, and writes of a status subresource.
import type { KubeObject } from '../../api/object'
import type { Informer } from '../../client/informer'
import type { ResourceRef } from '../../client/types'
import { ControllerQueue, type Controller, type ControllerContext, type ReconcileResult } from '../framework'
import { semanticEqual } from './util'
import { keyOf } from '../../kit/keys'

export abstract class QueueController implements Controller {
  abstract readonly name: string
  private ctxValue: ControllerContext | undefined
  private queueValue: ControllerQueue | undefined

  constructor(protected readonly workers?: number) {}

  protected get ctx(): ControllerContext {
    if (!this.ctxValue) throw new Error(`${this.name} controller used before start(): call start(ctx) first`)
    return this.ctxValue
  }

  protected get queue(): ControllerQueue {
    if (!this.queueValue) throw new Error(`${this.name} controller used before start(): call start(ctx) first`)
    return this.queueValue
  }

  async start(ctx: ControllerContext): Promise<void> {
    this.ctxValue = ctx
    const queue = (this.queueValue = new ControllerQueue(ctx, this.name))
    const informers = this.setup(ctx)
    await Promise.all(informers.map((i) => i.start()))
    queue.run(this.workers ?? ctx.options.concurrentSyncs, (k) => this.sync(k))
  }

  stop(): void {
    this.queueValue?.stop()
  }

  /** Register handlers on shared informers; return the informers to wait for. */
  protected abstract setup(ctx: ControllerContext): Informer<KubeObject>[]
  protected abstract sync(key: string): Promise<ReconcileResult>

  protected enqueue(obj: KubeObject): void {
    this.queueValue?.add(keyOf(obj))
  }

  protected enqueueAfter(obj: KubeObject, ms: number): void {
    this.queueValue?.queue.addAfter(keyOf(obj), ms)
  }

  /** PUT the status subresource when it changed; returns the stored object. 409 propagates (requeue). */
  protected async writeStatus<T extends KubeObject>(res: ResourceRef, obj: T, status: unknown): Promise<T> {
    if (semanticEqual(obj.status, status)) return obj
    return this.ctx.client.update<T>(res, { ...obj, status } as T, { subresource: 'status' })
  }
}

/** The owner of `obj` when its controllerRef names a `kind` in `informer`'s cache with the same uid. */
export function resolveControllerRef<T extends KubeObject>(informer: Informer<T>, obj: KubeObject, kind: string): T | undefined {
  const refs = (obj.metadata?.ownerReferences ?? []) as { kind?: string; name?: string; uid?: string; controller?: boolean }[]
  const ref = refs.find((r) => r.controller === true)
  if (!ref || ref.kind !== kind) return undefined
  const owner = informer.get(`${obj.metadata?.namespace}/${ref.name}`)
  return owner && owner.metadata?.uid === ref.uid ? owner : undefined
}
