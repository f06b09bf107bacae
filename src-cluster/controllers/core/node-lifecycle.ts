// Node lifecycle controller: watches Nodes and their Leases in kube-node-lease. A node whose
// heartbeat (lease renewal or Ready condition heartbeat, as observed by this controller) is
// older than nodeMonitorGracePeriodSeconds gets Ready=Unknown (and its pods Ready=False); the
// Ready condition then decides the taints: Unknown → node.kubernetes.io/unreachable, False →
// node.kubernetes.io/not-ready, each NoSchedule + NoExecute (timeAdded on NoExecute); True → none.
// A cordoned node (spec.unschedulable) carries node.kubernetes.io/unschedulable:NoSchedule.
// Heartbeat ages are tracked with the context Clock; a timer per node fires at the deadline.
import type { NodeCondition, Taint } from 'kubernetes-types/core/v1'
import type { Informer } from '../../client'
import type { TimerHandle } from '../../util/clock'
import { startQueue, type Controller, type ControllerContext, type ControllerQueue } from '../framework'
import { podsOnNode, TAINT_NOT_READY, TAINT_UNREACHABLE, TAINT_UNSCHEDULABLE } from './taints'
import { isConflict, isNotFound, sameJson } from './util'
import type { LeaseObj, NodeObj, PodObj } from '../../kit/objects'
import { RES } from '../../kit/resources'
import { rfc3339 } from '../../kit/time'

const LEASE_NS = 'kube-node-lease'
const OWNED = new Set([TAINT_NOT_READY, TAINT_UNREACHABLE, TAINT_UNSCHEDULABLE])

/** The taints this controller wants on a node, keeping timeAdded of ones already there. */
export function desiredTaints(node: NodeObj, now: string): Taint[] {
  const current = node.spec?.taints ?? []
  const ready = node.status?.conditions?.find((c) => c.type === 'Ready')?.status
  const want: Taint[] = []
  const add = (key: string, effect: 'NoSchedule' | 'NoExecute') => {
    const prev = current.find((t) => t.key === key && t.effect === effect)
    want.push(prev ?? (effect === 'NoExecute' ? { key, effect, timeAdded: now } : { key, effect }))
  }
  if (ready === 'Unknown') {
    add(TAINT_UNREACHABLE, 'NoSchedule')
    add(TAINT_UNREACHABLE, 'NoExecute')
  } else if (ready === 'False') {
    add(TAINT_NOT_READY, 'NoSchedule')
    add(TAINT_NOT_READY, 'NoExecute')
  }
  if (node.spec?.unschedulable) add(TAINT_UNSCHEDULABLE, 'NoSchedule')
  return [...current.filter((t) => !OWNED.has(t.key)), ...want]
}

/** Conditions after the kubelet went silent: Ready and the pressure conditions become Unknown. */
export function unknownConditions(node: NodeObj, now: string): NodeCondition[] {
  const conds = [...(node.status?.conditions ?? [])]
  const never = !conds.some((c) => c.type === 'Ready')
  const reason = never ? 'NodeStatusNeverUpdated' : 'NodeStatusUnknown'
  const message = never ? 'Kubelet never posted node status.' : 'Kubelet stopped posting node status.'
  for (const type of ['Ready', 'MemoryPressure', 'DiskPressure', 'PIDPressure']) {
    const i = conds.findIndex((c) => c.type === type)
    const prev = i >= 0 ? conds[i] : undefined
    if (prev?.status === 'Unknown') continue
    const c: NodeCondition = { type, status: 'Unknown', reason, message, lastTransitionTime: now, lastHeartbeatTime: prev?.lastHeartbeatTime ?? now }
    if (i >= 0) conds[i] = c
    else conds.push(c)
  }
  return conds
}

export class NodeLifecycleController implements Controller {
  readonly name = 'node-lifecycle-controller'
  private q?: ControllerQueue
  /** node → when this controller last saw a heartbeat, and what it looked like. */
  private readonly seen = new Map<string, { at: number; lease?: string; heartbeat?: string }>()
  private readonly timers = new Map<string, TimerHandle>()

  async start(ctx: ControllerContext): Promise<void> {
    const nodes = ctx.informers.for<NodeObj>(RES.nodes)
    const leases = ctx.informers.for<LeaseObj>(RES.leases, { namespace: LEASE_NS })
    const pods = ctx.informers.for<PodObj>(RES.pods)
    const onNode = podsOnNode(pods)
    const q = (this.q = startQueue(ctx, this.name, 2, (name) => this.reconcile(ctx, name, nodes, onNode)))
    const now = () => ctx.clock.now().getTime()
    nodes.addHandler({
      add: (n) => {
        this.heartbeat(String(n.metadata?.name), now(), { heartbeat: readyHeartbeat(n) })
        q.queue.add(String(n.metadata?.name))
      },
      update: (_o, n) => {
        const name = String(n.metadata?.name)
        const hb = readyHeartbeat(n)
        if (hb && hb !== this.seen.get(name)?.heartbeat) this.heartbeat(name, now(), { heartbeat: hb })
        q.queue.add(name)
      },
      delete: (n) => {
        const name = String(n.metadata?.name)
        this.seen.delete(name)
        this.timers.get(name)?.cancel()
        this.timers.delete(name)
      },
    })
    const onLease = (l: LeaseObj) => {
      const name = String(l.metadata?.name)
      const renew = l.spec?.renewTime ?? undefined
      if (renew && renew !== this.seen.get(name)?.lease) {
        this.heartbeat(name, now(), { lease: renew })
        q.queue.add(name)
      }
    }
    leases.addHandler({ add: onLease, update: (_o, n) => onLease(n) })
    await Promise.all([nodes.start(), leases.start(), pods.start()])
  }

  stop(): void {
    this.q?.stop()
    for (const t of this.timers.values()) t.cancel()
    this.timers.clear()
  }

  private heartbeat(name: string, at: number, what: { lease?: string; heartbeat?: string }): void {
    const prev = this.seen.get(name)
    this.seen.set(name, { at, lease: what.lease ?? prev?.lease, heartbeat: what.heartbeat ?? prev?.heartbeat })
  }

  private async reconcile(ctx: ControllerContext, name: string, nodes: Informer<NodeObj>, onNode: (n: string) => PodObj[]): Promise<void> {
    const node = nodes.get(name)
    if (!node) return
    const nowMs = ctx.clock.now().getTime()
    const now = rfc3339(ctx.clock.now())
    const seen = this.seen.get(name) ?? { at: nowMs }
    if (!this.seen.has(name)) this.seen.set(name, seen)
    const ready = node.status?.conditions?.find((c) => c.type === 'Ready')
    const graceS = ready ? ctx.options.nodeMonitorGracePeriodSeconds : ctx.options.nodeStartupGracePeriodSeconds
    const deadline = seen.at + graceS * 1000
    this.timers.get(name)?.cancel()
    if (nowMs >= deadline && ready?.status !== 'Unknown') {
      await this.markUnknown(ctx, node, now, onNode)
      return // the status update comes back through the informer and sets the taints
    }
    if (nowMs < deadline)
      this.timers.set(
        name,
        ctx.clock.after(deadline - nowMs, () => this.q?.queue.add(name)),
      )
    const taints = desiredTaints(node, now)
    if (!sameJson(taints, node.spec?.taints ?? [])) {
      await ctx.client.update(RES.nodes, { ...node, spec: { ...node.spec, taints: taints.length ? taints : undefined } })
    }
  }

  private async markUnknown(ctx: ControllerContext, node: NodeObj, now: string, onNode: (n: string) => PodObj[]): Promise<void> {
    const name = String(node.metadata?.name)
    await ctx.client.update(RES.nodes, { ...node, status: { ...node.status, conditions: unknownConditions(node, now) } }, { subresource: 'status' })
    ctx.recorder('node-controller').event(node, 'Normal', 'NodeNotReady', `Node ${name} status is now: NodeNotReady`)
    ctx.log(`node-lifecycle-controller: node ${name} stopped heartbeating; Ready=Unknown`)
    // Its pods can no longer be trusted to serve: take them out of Service endpoints.
    for (const pod of onNode(name)) {
      const conds = pod.status?.conditions ?? []
      const i = conds.findIndex((c) => c.type === 'Ready')
      if (i < 0 || conds[i]!.status === 'False') continue
      const next = [...conds]
      next[i] = { ...conds[i]!, status: 'False', lastTransitionTime: now }
      try {
        await ctx.client.update(RES.pods, { ...pod, status: { ...pod.status, conditions: next } }, { subresource: 'status' })
        ctx.recorder('node-controller').event(pod, 'Warning', 'NodeNotReady', 'Node is not ready')
      } catch (e) {
        if (!isConflict(e) && !isNotFound(e)) throw e
      }
    }
  }
}

function readyHeartbeat(n: NodeObj): string | undefined {
  return n.status?.conditions?.find((c) => c.type === 'Ready')?.lastHeartbeatTime ?? undefined
}
