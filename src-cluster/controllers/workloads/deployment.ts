// The Deployment controller: watches Deployments, their ReplicaSets (and, for Recreate, their
// pods) and reconciles one Deployment per key with DeploymentSync.
import type { KubeObject } from '../../api/object'
import { isEverything, labelSelectorFromObject, matchLabels, type LabelSelector } from '../../api/selectors'
import type { Informer } from '../../client/informer'
import type { ControllerContext, ReconcileResult } from '../framework'
import { QueueController, resolveControllerRef } from './base'
import { claimObjects } from './claim'
import { DeploymentSync } from './deployment-sync'
import { controllerRef, errorMessage, semanticEqual } from './util'
import type { DeploymentObj, PodObj, ReplicaSetObj } from '../../kit/objects'
import { RES } from '../../kit/resources'

const COMPONENT = 'deployment-controller'

export class DeploymentController extends QueueController {
  readonly name = 'deployment'
  private dInf!: Informer<DeploymentObj>
  private rsInf!: Informer<ReplicaSetObj>
  private podInf!: Informer<PodObj>

  protected setup(ctx: ControllerContext): Informer<KubeObject>[] {
    this.dInf = ctx.informers.for<DeploymentObj>(RES.deployments)
    this.rsInf = ctx.informers.for<ReplicaSetObj>(RES.replicasets)
    this.podInf = ctx.informers.for<PodObj>(RES.pods)
    this.dInf.addHandler({ add: (d) => this.enqueue(d), update: (_o, d) => this.enqueue(d), delete: (d) => this.enqueue(d) })
    this.rsInf.addHandler({
      add: (rs) => this.rsChanged(undefined, rs),
      update: (old, rs) => this.rsChanged(old, rs),
      delete: (rs) => this.rsChanged(undefined, rs),
    })
    // Recreate waits until the old pods are gone; their deletions wake it.
    this.podInf.addHandler({ update: (_o, p) => this.podChanged(p), delete: (p) => this.podChanged(p) })
    return [this.dInf, this.rsInf, this.podInf] as unknown as Informer<KubeObject>[]
  }

  private matching(rs: ReplicaSetObj): DeploymentObj[] {
    return this.dInf.byIndex('namespace', rs.metadata?.namespace ?? '').filter((d) => {
      try {
        const sel = labelSelectorFromObject(d.spec?.selector)
        return !isEverything(sel) && matchLabels(sel, rs.metadata?.labels)
      } catch {
        return false
      }
    })
  }

  private rsChanged(old: ReplicaSetObj | undefined, rs: ReplicaSetObj): void {
    if (old && old.metadata?.resourceVersion === rs.metadata?.resourceVersion) return
    if (old && controllerRef(old) && controllerRef(old)?.uid !== controllerRef(rs)?.uid) {
      const prev = resolveControllerRef(this.dInf, old, 'Deployment')
      if (prev) this.enqueue(prev)
    }
    if (controllerRef(rs)) {
      const d = resolveControllerRef(this.dInf, rs, 'Deployment')
      if (d) this.enqueue(d)
      return
    }
    if (!old || !semanticEqual(old.metadata?.labels, rs.metadata?.labels) || controllerRef(old)) for (const d of this.matching(rs)) this.enqueue(d)
  }

  private podChanged(pod: PodObj): void {
    const rs = resolveControllerRef(this.rsInf, pod, 'ReplicaSet')
    if (!rs) return
    const d = resolveControllerRef(this.dInf, rs, 'Deployment')
    if (d && d.spec?.strategy?.type === 'Recreate') this.enqueue(d)
  }

  protected async sync(key: string): Promise<ReconcileResult> {
    const d = this.dInf.get(key)
    if (!d) return
    const recorder = this.ctx.recorder(COMPONENT)
    let selector: LabelSelector
    try {
      selector = labelSelectorFromObject(d.spec?.selector)
    } catch (e) {
      this.ctx.log(`deployment: ${key} has an invalid selector, skipping: ${errorMessage(e)}`)
      return
    }
    if (isEverything(selector)) {
      recorder.event(d, 'Warning', 'SelectingAll', 'This deployment is selecting all pods. A non-empty selector is required.')
      if ((d.status?.observedGeneration ?? 0) < (d.metadata?.generation ?? 0)) {
        await this.writeStatus(RES.deployments, d, { ...(d.status ?? {}), observedGeneration: d.metadata?.generation })
      }
      return
    }
    const candidates = this.rsInf.byIndex('namespace', d.metadata?.namespace ?? '')
    const rsList = await claimObjects(this.ctx.client, RES.replicasets, { obj: d, apiVersion: 'apps/v1', kind: 'Deployment', selector }, candidates)
    const run = new DeploymentSync(
      {
        client: this.ctx.client,
        recorder,
        now: () => this.ctx.clock.now(),
        podsOf: (rs) => this.podInf.byIndex('namespace', rs.metadata?.namespace ?? '').filter((p) => controllerRef(p)?.uid === rs.metadata?.uid),
      },
      d,
      rsList,
    )
    return run.run()
  }
}
