// The disruption controller: keeps each PodDisruptionBudget's status (expectedPods,
// currentHealthy, desiredHealthy, disruptionsAllowed, disruptedPods, the DisruptionAllowed
// condition) current from the pods its selector matches and the scale of their controllers.
// The eviction subresource spends disruptionsAllowed; this controller recomputes it.
import type { PodDisruptionBudgetStatus } from 'kubernetes-types/policy/v1'
import type { Condition } from 'kubernetes-types/meta/v1'
import type { KubeObject } from '../../api/object'
import { labelSelectorFromObject, matchLabels, type LabelSelectorObject } from '../../api/selectors'
import { type EventRecorder, type Informer, type ResourceRef } from '../../client'
import { ControllerQueue, type Controller, type ControllerContext } from '../framework'
import { controllerRef, isPodReady, setCondition, withKind } from '../batch/util'
import type { PdbObj, PodObj } from '../../kit/objects'
import { RES } from '../../kit/resources'
import { keyOf, splitKey } from '../../kit/keys'

/** An evicted pod not seen deleted within this time counts as healthy again (upstream: 2 min). */
export const DELETION_TIMEOUT_MS = 2 * 60_000

const SCALABLE: Record<string, ResourceRef> = {
  'apps/ReplicaSet': RES.replicasets,
  'apps/Deployment': RES.deployments,
  'apps/StatefulSet': RES.statefulsets,
}

/** "50%" of `total`, rounded up or down; plain integers as they are. */
export function scaledValue(value: number | string, total: number, roundUp: boolean): number {
  if (typeof value === 'number') return value
  const m = /^(\d+)%$/.exec(value)
  if (!m) throw new Error(`invalid value ${JSON.stringify(value)}: use an integer or a percentage like "50%"`)
  const x = (Number(m[1]) * total) / 100
  return roundUp ? Math.ceil(x) : Math.floor(x)
}

export class DisruptionController implements Controller {
  readonly name = 'disruption-controller'
  private q!: ControllerQueue
  private pdbs!: Informer<PdbObj>
  private pods!: Informer<PodObj>
  private recorder!: EventRecorder
  private ctx!: ControllerContext

  async start(ctx: ControllerContext): Promise<void> {
    this.ctx = ctx
    this.q = new ControllerQueue(ctx, this.name)
    this.recorder = ctx.recorder('controllermanager')
    this.pdbs = ctx.informers.for<PdbObj>(RES.pdbs)
    this.pods = ctx.informers.for<PodObj>(RES.pods)
    this.pdbs.addHandler({ add: (p) => this.q.add(keyOf(p)), update: (_o, n) => this.q.add(keyOf(n)), delete: (p) => this.q.cancel(keyOf(p)) })
    const byPod = (p: PodObj): void => {
      for (const b of this.pdbs.byIndex('namespace', p.metadata?.namespace ?? '')) if (covers(b, p)) this.q.add(keyOf(b))
    }
    this.pods.addHandler({
      add: byPod,
      update: (o, n) => {
        byPod(o)
        byPod(n)
      },
      delete: byPod,
    })
    await Promise.all([this.pdbs.start(), this.pods.start()])
    this.q.run(ctx.options.concurrentSyncs, (k) => this.sync(k))
  }

  stop(): void {
    this.q?.stop()
  }

  /** Replicas wanted by the controller of a pod, following ReplicaSets up to their Deployment. */
  private async scaleOf(pod: PodObj, cache: Map<string, number | undefined>): Promise<{ key: string; replicas: number } | undefined> {
    let ref = controllerRef(pod)
    if (!ref) return undefined
    const ns = pod.metadata!.namespace!
    let group = ref.apiVersion.split('/').length > 1 ? ref.apiVersion.split('/')[0]! : ''
    if (group === 'apps' && ref.kind === 'ReplicaSet') {
      const rs = await this.ctx.client.get<KubeObject>(SCALABLE['apps/ReplicaSet']!, ns, ref.name)
      const up = rs ? controllerRef(rs) : undefined
      if (up?.kind === 'Deployment') {
        ref = up
        group = 'apps'
      }
    }
    const key = `${group}/${ref.kind}/${ns}/${ref.name}`
    if (cache.has(key)) {
      const r = cache.get(key)
      return r === undefined ? undefined : { key, replicas: r }
    }
    const res = SCALABLE[`${group}/${ref.kind}`]
    let replicas: number | undefined
    if (res) {
      const scale = await this.ctx.client.get<KubeObject>(res, ns, ref.name, { subresource: 'scale' })
      replicas = (scale?.spec as { replicas?: number } | undefined)?.replicas ?? undefined
    }
    cache.set(key, replicas)
    return replicas === undefined ? undefined : { key, replicas }
  }

  async sync(key: string): Promise<void> {
    const pdb = this.pdbs.get(key)
    if (!pdb || pdb.metadata?.deletionTimestamp) return
    const { namespace } = splitKey(key)
    const now = this.ctx.clock.now()
    const pods = this.pods.byIndex('namespace', namespace!).filter((p) => covers(pdb, p))
    const old = pdb.status
    const spec = pdb.spec ?? {}

    // Evictions not yet seen as deletions keep their pods out of the healthy count for a while.
    const disrupted: Record<string, string> = {}
    let nextExpiry: number | undefined
    for (const [podName, at] of Object.entries(old?.disruptedPods ?? {})) {
      const pod = pods.find((p) => p.metadata?.name === podName)
      if (!pod || pod.metadata?.deletionTimestamp) continue
      const expires = Date.parse(at) + DELETION_TIMEOUT_MS
      if (expires <= now.getTime()) continue
      disrupted[podName] = at
      nextExpiry = Math.min(nextExpiry ?? Infinity, expires)
    }
    if (nextExpiry !== undefined) this.q.after(key, nextExpiry - now.getTime())

    let expectedCount = 0
    let desiredHealthy = 0
    let failure: string | undefined
    try {
      if (spec.maxUnavailable !== undefined || (spec.minAvailable !== undefined && typeof spec.minAvailable === 'string')) {
        const cache = new Map<string, number | undefined>()
        const seen = new Set<string>()
        for (const p of pods) {
          const s = await this.scaleOf(p, cache)
          if (!s) throw new Error(`found no controllers for pod ${JSON.stringify(p.metadata?.name)}`)
          if (!seen.has(s.key)) {
            seen.add(s.key)
            expectedCount += s.replicas
          }
        }
        if (spec.maxUnavailable !== undefined) desiredHealthy = Math.max(0, expectedCount - scaledValue(spec.maxUnavailable, expectedCount, true))
        else desiredHealthy = scaledValue(spec.minAvailable!, expectedCount, true)
      } else {
        expectedCount = pods.length
        desiredHealthy = typeof spec.minAvailable === 'number' ? spec.minAvailable : 0
      }
    } catch (e) {
      failure = (e as Error).message
      this.recorder.event(withKind(pdb, 'policy/v1', 'PodDisruptionBudget'), 'Warning', 'NoControllers', failure)
    }
    const currentHealthy = pods.filter((p) => isPodReady(p) && !p.metadata?.deletionTimestamp && !(p.metadata!.name! in disrupted)).length
    let allowed = currentHealthy - desiredHealthy
    if (failure || expectedCount <= 0 || allowed < 0) allowed = 0
    const cond = failure
      ? { type: 'DisruptionAllowed', status: 'False', reason: 'SyncFailed', message: failure, observedGeneration: pdb.metadata?.generation }
      : allowed > 0
        ? { type: 'DisruptionAllowed', status: 'True', reason: 'SufficientPods', message: '', observedGeneration: pdb.metadata?.generation }
        : { type: 'DisruptionAllowed', status: 'False', reason: 'InsufficientPods', message: '', observedGeneration: pdb.metadata?.generation }
    const status: PodDisruptionBudgetStatus = {
      observedGeneration: pdb.metadata?.generation,
      disruptedPods: Object.keys(disrupted).length ? disrupted : undefined,
      disruptionsAllowed: allowed,
      currentHealthy: failure ? 0 : currentHealthy,
      desiredHealthy: failure ? 0 : desiredHealthy,
      expectedPods: failure ? 0 : expectedCount,
      conditions: setCondition(old?.conditions ?? [], cond as Condition, now),
    }
    if (JSON.stringify(status) === JSON.stringify(old ?? {})) return
    await this.ctx.client.update<PdbObj>(RES.pdbs, { ...withKind(pdb, 'policy/v1', 'PodDisruptionBudget'), status }, { subresource: 'status' })
  }
}

function covers(pdb: PdbObj, pod: PodObj): boolean {
  if (!pdb.spec?.selector) return false
  return matchLabels(labelSelectorFromObject(pdb.spec.selector as LabelSelectorObject), pod.metadata?.labels)
}
