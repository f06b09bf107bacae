// Taint manager (NoExecute taint eviction): a pod on a node with a NoExecute taint it does not
// tolerate is deleted at once; one that tolerates it with tolerationSeconds is deleted when that
// time has passed since the taint was added (timers on the context Clock). Each eviction writes
// a TaintManagerEviction event and a DisruptionTarget condition, as upstream does.
import type { Taint } from 'kubernetes-types/core/v1'
import type { Informer } from '../../client'
import type { TimerHandle } from '../../util/clock'
import { startQueue, type Controller, type ControllerContext, type ControllerQueue } from '../framework'
import { evictionVerdict, podsOnNode } from './taints'
import { isConflict, isNotFound, sameJson } from './util'
import type { NodeObj, PodObj } from '../../kit/objects'
import { RES } from '../../kit/resources'
import { keyOf } from '../../kit/keys'
import { rfc3339 } from '../../kit/time'

const noExecute = (n: NodeObj | undefined): Taint[] => (n?.spec?.taints ?? []).filter((t) => t.effect === 'NoExecute')

export class TaintManager implements Controller {
  readonly name = 'taint-eviction-controller'
  private q?: ControllerQueue
  private readonly timers = new Map<string, { at: number; timer: TimerHandle }>()

  async start(ctx: ControllerContext): Promise<void> {
    const nodes = ctx.informers.for<NodeObj>(RES.nodes)
    const pods = ctx.informers.for<PodObj>(RES.pods)
    const onNode = podsOnNode(pods)
    const q = (this.q = startQueue(ctx, this.name, 4, (key) => this.reconcile(ctx, key, nodes, pods)))
    const enqueuePod = (p: PodObj) => {
      if (p.spec?.nodeName) q.queue.add(keyOf(p))
    }
    pods.addHandler({
      add: enqueuePod,
      update: (o, n) => {
        if (
          o.spec?.nodeName !== n.spec?.nodeName ||
          !sameJson(o.spec?.tolerations, n.spec?.tolerations) ||
          !!o.metadata?.deletionTimestamp !== !!n.metadata?.deletionTimestamp
        )
          enqueuePod(n)
      },
      delete: (p) => this.cancel(keyOf(p)),
    })
    const enqueueNode = (n: NodeObj) => {
      for (const p of onNode(String(n.metadata?.name))) q.queue.add(keyOf(p))
    }
    nodes.addHandler({
      add: (n) => noExecute(n).length && enqueueNode(n),
      update: (o, n) => {
        if (!sameJson(noExecute(o), noExecute(n))) enqueueNode(n)
      },
    })
    await Promise.all([nodes.start(), pods.start()])
  }

  stop(): void {
    this.q?.stop()
    for (const t of this.timers.values()) t.timer.cancel()
    this.timers.clear()
  }

  private cancel(key: string): void {
    this.timers.get(key)?.timer.cancel()
    this.timers.delete(key)
  }

  private async reconcile(ctx: ControllerContext, key: string, nodes: Informer<NodeObj>, pods: Informer<PodObj>): Promise<void> {
    const pod = pods.get(key)
    if (!pod?.spec?.nodeName || pod.metadata?.deletionTimestamp) return this.cancel(key)
    const taints = noExecute(nodes.get(pod.spec.nodeName))
    const verdict = evictionVerdict(taints, pod.spec.tolerations ?? [])
    if (verdict.kind === 'never') return this.cancel(key)
    const nowMs = ctx.clock.now().getTime()
    if (verdict.kind === 'after') {
      // Counted from when the newest NoExecute taint was added (never later than now).
      const added = Math.max(...taints.map((t) => (t.timeAdded ? Date.parse(t.timeAdded) : nowMs)).filter((x) => !Number.isNaN(x)))
      const at = Math.min(added, nowMs) + verdict.seconds * 1000
      if (nowMs < at) {
        if (this.timers.get(key)?.at !== at) {
          this.cancel(key)
          this.timers.set(key, { at, timer: ctx.clock.after(at - nowMs, () => this.q?.queue.add(key)) })
        }
        return
      }
    }
    this.cancel(key)
    await this.evict(ctx, pod)
  }

  private async evict(ctx: ControllerContext, pod: PodObj): Promise<void> {
    const ns = pod.metadata?.namespace
    const name = String(pod.metadata?.name)
    ctx.recorder('taint-eviction-controller').event(pod, 'Normal', 'TaintManagerEviction', `Marking for deletion Pod ${ns}/${name}`)
    try {
      const conds = (pod.status?.conditions ?? []).filter((c) => c.type !== 'DisruptionTarget')
      conds.push({
        type: 'DisruptionTarget',
        status: 'True',
        reason: 'DeletionByTaintManager',
        message: 'Taint manager: deleting due to NoExecute taint',
        lastTransitionTime: rfc3339(ctx.clock.now()),
      })
      await ctx.client.update(RES.pods, { ...pod, status: { ...pod.status, conditions: conds } }, { subresource: 'status' })
    } catch (e) {
      // The condition is informative; a stale copy must not stop the eviction.
      if (!isConflict(e) && !isNotFound(e)) throw e
    }
    try {
      await ctx.client.delete(RES.pods, ns, name, { preconditions: { uid: pod.metadata?.uid } })
      ctx.log(`taint-eviction-controller: evicted pod ${ns}/${name} from node ${pod.spec?.nodeName}`)
    } catch (e) {
      if (!isNotFound(e) && !isConflict(e)) throw e
    }
  }
}
