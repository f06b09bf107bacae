// Pod garbage collector: force-deletes (grace 0) pods that no kubelet will ever finish —
// pods bound to a node that no longer exists (confirmed with a live GET), terminating pods
// that were never scheduled, and terminating pods on an unreachable node once their grace
// period (the deletionTimestamp) has passed.
import type { Informer } from '../../client'
import type { TimerHandle } from '../../util/clock'
import { startQueue, type Controller, type ControllerContext, type ControllerQueue } from '../framework'
import { podsOnNode, TAINT_UNREACHABLE } from './taints'
import { isConflict, isNotFound } from './util'
import type { NodeObj, PodObj } from '../../kit/objects'
import { RES } from '../../kit/resources'
import { keyOf } from '../../kit/keys'

const unreachable = (n: NodeObj | undefined) => (n?.spec?.taints ?? []).some((t) => t.key === TAINT_UNREACHABLE)

export class PodGarbageCollector implements Controller {
  readonly name = 'pod-garbage-collector'
  private q?: ControllerQueue
  private readonly timers = new Map<string, TimerHandle>()

  async start(ctx: ControllerContext): Promise<void> {
    const nodes = ctx.informers.for<NodeObj>(RES.nodes)
    const pods = ctx.informers.for<PodObj>(RES.pods)
    const onNode = podsOnNode(pods)
    const q = (this.q = startQueue(ctx, this.name, 2, (key) => this.reconcile(ctx, key, nodes, pods)))
    const consider = (p: PodObj) => {
      const node = p.spec?.nodeName
      if ((node && !nodes.get(node)) || p.metadata?.deletionTimestamp) q.queue.add(keyOf(p))
    }
    pods.addHandler({ add: consider, update: (_o, n) => consider(n), delete: (p) => this.cancel(keyOf(p)) })
    nodes.addHandler({
      update: (o, n) => {
        if (!unreachable(o) && unreachable(n)) for (const p of onNode(String(n.metadata?.name))) if (p.metadata?.deletionTimestamp) q.queue.add(keyOf(p))
      },
      delete: (n) => {
        for (const p of onNode(String(n.metadata?.name))) q.queue.add(keyOf(p))
      },
    })
    await Promise.all([nodes.start(), pods.start()])
    for (const p of pods.list()) consider(p)
  }

  stop(): void {
    this.q?.stop()
    for (const t of this.timers.values()) t.cancel()
    this.timers.clear()
  }

  private cancel(key: string): void {
    this.timers.get(key)?.cancel()
    this.timers.delete(key)
  }

  private async reconcile(ctx: ControllerContext, key: string, nodes: Informer<NodeObj>, pods: Informer<PodObj>): Promise<void> {
    const pod = pods.get(key)
    if (!pod) return this.cancel(key)
    const nodeName = pod.spec?.nodeName
    if (!nodeName) {
      if (pod.metadata?.deletionTimestamp) await this.forceDelete(ctx, pod, 'it was never scheduled')
      return
    }
    if (!nodes.get(nodeName)) {
      // The cache may lag behind a just-registered node: ask the API server.
      const live = await ctx.client.get(RES.nodes, undefined, nodeName)
      if (!live) await this.forceDelete(ctx, pod, `its node ${nodeName} no longer exists`)
      return
    }
    const ts = pod.metadata?.deletionTimestamp
    if (!ts || !unreachable(nodes.get(nodeName))) return
    const due = Date.parse(ts) - ctx.clock.now().getTime()
    if (due > 0) {
      this.cancel(key)
      this.timers.set(
        key,
        ctx.clock.after(due, () => this.q?.queue.add(key)),
      )
      return
    }
    await this.forceDelete(ctx, pod, `its node ${nodeName} is unreachable and its grace period is over`)
  }

  private async forceDelete(ctx: ControllerContext, pod: PodObj, why: string): Promise<void> {
    this.cancel(keyOf(pod))
    try {
      await ctx.client.delete(RES.pods, pod.metadata?.namespace, String(pod.metadata?.name), {
        gracePeriodSeconds: 0,
        preconditions: { uid: pod.metadata?.uid },
      })
      ctx.log(`pod-garbage-collector: force-deleted pod ${keyOf(pod)}: ${why}`)
    } catch (e) {
      if (!isNotFound(e) && !isConflict(e)) throw e
    }
  }
}
