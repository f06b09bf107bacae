// The DaemonSet controller: one pod per eligible node (pinned there by node affinity so the
// scheduler binds it), rolling updates within maxUnavailable/maxSurge or OnDelete,
// ControllerRevisions as history, and the scheduled/ready/available/updated counts in status.
import type { KubeObject } from '../../api/object'
import { isEverything, labelSelectorFromObject, matchLabels, type LabelSelector } from '../../api/selectors'
import type { Informer } from '../../client/informer'
import { Expectations, type ControllerContext, type ReconcileResult } from '../framework'
import { QueueController, resolveControllerRef } from './base'
import { claimObjects } from './claim'
import { daemonPodTemplate, nodeShouldRunDaemonPod, pinToNode, targetNodeName } from './daemonset-util'
import { ensureCurrentRevision, REVISION_HASH_LABEL, truncateHistory } from './history'
import { podFromTemplate, PodControl, slowStartBatch } from './pod-control'
import { byCreation, controllerRef, errorMessage, isPodAvailable, isPodReady, msUntilAvailable, newControllerRef, scaledValue, semanticEqual } from './util'
import type { DaemonSetObj, NodeObj, PodObj, RevisionObj } from '../../kit/objects'
import { RES } from '../../kit/resources'
import { keyOf } from '../../kit/keys'

const COMPONENT = 'daemonset-controller'

export class DaemonSetController extends QueueController {
  readonly name = 'daemonset'
  private dsInf!: Informer<DaemonSetObj>
  private podInf!: Informer<PodObj>
  private nodeInf!: Informer<NodeObj>
  private revInf!: Informer<RevisionObj>
  private expectations!: Expectations
  private pods!: PodControl

  protected setup(ctx: ControllerContext): Informer<KubeObject>[] {
    this.dsInf = ctx.informers.for<DaemonSetObj>(RES.daemonsets)
    this.podInf = ctx.informers.for<PodObj>(RES.pods)
    this.nodeInf = ctx.informers.for<NodeObj>(RES.nodes)
    this.revInf = ctx.informers.for<RevisionObj>(RES.controllerrevisions)
    this.expectations = new Expectations(ctx.clock)
    this.pods = new PodControl(ctx.client, ctx.recorder(COMPONENT))
    this.dsInf.addHandler({
      add: (ds) => this.enqueue(ds),
      update: (_o, ds) => this.enqueue(ds),
      delete: (ds) => {
        this.expectations.delete(keyOf(ds))
        this.enqueue(ds)
      },
    })
    const allSets = () => this.dsInf.list().forEach((ds) => this.enqueue(ds))
    this.nodeInf.addHandler({
      add: allSets,
      update: (o, n) => {
        const relevant = (x: NodeObj) => [x.metadata?.labels, x.spec?.taints, x.spec?.unschedulable]
        if (!semanticEqual(relevant(o), relevant(n))) allSets()
      },
      delete: allSets,
    })
    this.podInf.addHandler({
      add: (p) => this.podEvent(p, 'add'),
      update: (o, p) => {
        if (o.metadata?.resourceVersion === p.metadata?.resourceVersion) return
        const prev = resolveControllerRef(this.dsInf, o, 'DaemonSet')
        if (prev && controllerRef(p)?.uid !== prev.metadata?.uid) this.enqueue(prev)
        this.podEvent(p, p.metadata?.deletionTimestamp ? 'delete' : 'update')
      },
      delete: (p) => this.podEvent(p, 'delete'),
    })
    return [this.dsInf, this.podInf, this.nodeInf, this.revInf] as unknown as Informer<KubeObject>[]
  }

  private podEvent(pod: PodObj, kind: 'add' | 'update' | 'delete'): void {
    const ds = resolveControllerRef(this.dsInf, pod, 'DaemonSet')
    if (ds) {
      const key = keyOf(ds)
      if (kind === 'add') this.expectations.observeCreate(key)
      if (kind === 'delete') this.expectations.observeDelete(key, String(pod.metadata?.uid))
      this.enqueue(ds)
      return
    }
    if (controllerRef(pod) || kind === 'delete') return
    for (const set of this.dsInf.byIndex('namespace', pod.metadata?.namespace ?? '')) {
      try {
        if (matchLabels(labelSelectorFromObject(set.spec?.selector), pod.metadata?.labels)) this.enqueue(set)
      } catch {
        // an invalid selector matches nothing
      }
    }
  }

  protected async sync(key: string): Promise<ReconcileResult> {
    const ds = this.dsInf.get(key)
    if (!ds) {
      this.expectations.delete(key)
      return
    }
    const recorder = this.ctx.recorder(COMPONENT)
    let selector: LabelSelector
    try {
      selector = labelSelectorFromObject(ds.spec?.selector)
    } catch (e) {
      this.ctx.log(`daemonset: ${key} has an invalid selector, skipping: ${errorMessage(e)}`)
      return
    }
    if (isEverything(selector)) {
      recorder.event(ds, 'Warning', 'SelectingAll', 'This daemon set is selecting all pods. A non-empty selector is required.')
      return
    }
    const ns = ds.metadata?.namespace ?? ''
    const pods = await claimObjects(
      this.ctx.client,
      RES.pods,
      { obj: ds, apiVersion: 'apps/v1', kind: 'DaemonSet', selector },
      this.podInf.byIndex('namespace', ns),
    )
    const revs = this.revInf.byIndex('namespace', ns).filter((r) => controllerRef(r)?.uid === ds.metadata?.uid)
    const nodes = this.nodeInf.list()

    const { revision, collided } = await ensureCurrentRevision(
      this.ctx.client,
      { obj: ds, kind: 'DaemonSet', template: ds.spec?.template, collisionCount: ds.status?.collisionCount },
      revs,
    )
    if (collided || !revision) {
      await this.ctx.client.update(
        RES.daemonsets,
        { ...ds, status: { ...(ds.status ?? {}), collisionCount: (ds.status?.collisionCount ?? 0) + 1 } },
        { subresource: 'status' },
      )
      throw new Error(`controller revision name for daemonset ${key} collided; retrying with a new collisionCount`)
    }
    const hash = String(revision.metadata?.labels?.[REVISION_HASH_LABEL])

    if (this.expectations.satisfied(key) && !ds.metadata?.deletionTimestamp) {
      await this.manage(key, ds, nodes, pods, hash)
      if ((ds.spec?.updateStrategy?.type ?? 'RollingUpdate') === 'RollingUpdate' && this.expectations.satisfied(key)) {
        await this.rollingUpdate(key, ds, nodes, this.livePods(ds), hash)
      }
      const used = new Set(pods.map((p) => p.metadata?.labels?.[REVISION_HASH_LABEL]))
      const keep = new Set(revs.filter((r) => used.has(r.metadata?.labels?.[REVISION_HASH_LABEL])).map((r) => String(r.metadata?.name)))
      keep.add(String(revision.metadata?.name))
      await truncateHistory(this.ctx.client, revs, keep, ds.spec?.revisionHistoryLimit ?? 10)
    }
    return this.updateStatus(ds, nodes, this.livePods(ds), hash)
  }

  /** The set's pods from the cache (after claiming), excluding finished pods already being deleted. */
  private livePods(ds: DaemonSetObj): PodObj[] {
    return this.podInf.byIndex('namespace', ds.metadata?.namespace ?? '').filter((p) => controllerRef(p)?.uid === ds.metadata?.uid)
  }

  private allowsSurge(ds: DaemonSetObj, desired: number): boolean {
    return (ds.spec?.updateStrategy?.type ?? 'RollingUpdate') === 'RollingUpdate' && this.budgets(ds, desired).surge > 0
  }

  private budgets(ds: DaemonSetObj, desired: number): { surge: number; unavailable: number } {
    const ru = ds.spec?.updateStrategy?.rollingUpdate
    const surge = scaledValue(ru?.maxSurge, desired, true, 0)
    let unavailable = scaledValue(ru?.maxUnavailable, desired, true, 1)
    if (surge === 0 && unavailable === 0) unavailable = 1
    return { surge, unavailable }
  }

  private byNode(pods: PodObj[]): Map<string, PodObj[]> {
    const m = new Map<string, PodObj[]>()
    for (const p of pods) {
      if (p.metadata?.deletionTimestamp) continue
      const node = targetNodeName(p)
      if (!node) continue
      m.set(node, [...(m.get(node) ?? []), p].sort(byCreation))
    }
    return m
  }

  private async manage(key: string, ds: DaemonSetObj, nodes: NodeObj[], pods: PodObj[], hash: string): Promise<void> {
    const recorder = this.ctx.recorder(COMPONENT)
    const onNode = this.byNode(pods)
    const desired = nodes.filter((n) => nodeShouldRunDaemonPod(n, ds).shouldRun).length
    const surge = this.allowsSurge(ds, desired)
    const create: string[] = []
    const remove: PodObj[] = []
    for (const node of nodes) {
      const name = String(node.metadata?.name)
      const { shouldRun, shouldContinueRunning } = nodeShouldRunDaemonPod(node, ds)
      const here = onNode.get(name) ?? []
      if (shouldRun && here.length === 0) {
        create.push(name)
        continue
      }
      if (!shouldContinueRunning) {
        remove.push(...here)
        continue
      }
      const running: PodObj[] = []
      for (const p of here) {
        if (p.status?.phase === 'Failed') {
          recorder.event(
            ds,
            'Warning',
            'FailedDaemonPod',
            `Found failed daemon pod ${p.metadata?.namespace}/${p.metadata?.name} on node ${name}, will try to kill it`,
          )
          remove.push(p)
        } else if (p.status?.phase === 'Succeeded') remove.push(p)
        else running.push(p)
      }
      if (running.length === 0 && shouldRun) create.push(name)
      if (running.length > 1) {
        if (!surge) remove.push(...running.slice(1))
        else {
          // During a surge update one old and one new pod may share a node; more are extra.
          let keptNew = false
          let keptOld = false
          for (const p of running) {
            const isNew = p.metadata?.labels?.[REVISION_HASH_LABEL] === hash
            if (isNew ? !keptNew : !keptOld) {
              if (isNew) keptNew = true
              else keptOld = true
            } else remove.push(p)
          }
        }
      }
    }
    // Pods for nodes that no longer exist.
    const known = new Set(nodes.map((n) => n.metadata?.name))
    for (const [node, here] of onNode) if (!known.has(node)) remove.push(...here)
    await this.syncNodes(key, ds, remove, create, hash)
  }

  private async syncNodes(key: string, ds: DaemonSetObj, remove: PodObj[], createOn: string[], hash: string): Promise<void> {
    if (remove.length === 0 && createOn.length === 0) return
    this.expectations.expect(
      key,
      createOn.length,
      remove.map((p) => String(p.metadata?.uid)),
    )
    const template = daemonPodTemplate(ds)
    template.metadata = { ...(template.metadata ?? {}), labels: { ...(template.metadata?.labels ?? {}), [REVISION_HASH_LABEL]: hash } }
    const ref = newControllerRef(ds, 'apps/v1', 'DaemonSet')
    const queue = [...createOn]
    const { ok, error } = await slowStartBatch(createOn.length, 1, () => {
      const node = queue.shift()!
      const t = structuredClone(template)
      pinToNode(t, node)
      return this.pods.create(ds, podFromTemplate(t, String(ds.metadata?.namespace), ref, { generateName: `${ds.metadata?.name}-` }))
    })
    for (let i = ok; i < createOn.length; i++) this.expectations.creationFailed(key)
    const results = await Promise.allSettled(remove.map((p) => this.pods.delete(ds, p)))
    let firstError: unknown = error
    results.forEach((r, i) => {
      const uid = String(remove[i]!.metadata?.uid)
      if (r.status === 'rejected') {
        this.expectations.deletionFailed(key, uid)
        firstError ??= r.reason
      } else if (!r.value) this.expectations.deletionFailed(key, uid)
    })
    if (firstError) throw firstError
  }

  private async rollingUpdate(key: string, ds: DaemonSetObj, nodes: NodeObj[], pods: PodObj[], hash: string): Promise<void> {
    const now = this.ctx.clock.now()
    const minReady = ds.spec?.minReadySeconds ?? 0
    const placement = new Map(nodes.map((n) => [String(n.metadata?.name), nodeShouldRunDaemonPod(n, ds)]))
    const desired = [...placement.values()].filter((p) => p.shouldRun).length
    const { surge, unavailable } = this.budgets(ds, desired)
    const byName = new Map(pods.map((p) => [String(p.metadata?.name), p]))
    const onNode = this.byNode(pods)
    const split = (here: PodObj[]) => {
      let newPod: PodObj | undefined
      let oldPod: PodObj | undefined
      for (const p of here) {
        if (p.metadata?.labels?.[REVISION_HASH_LABEL] === hash) {
          if (newPod) return undefined
          newPod = p
        } else {
          if (oldPod) return undefined
          oldPod = p
        }
      }
      return { newPod, oldPod }
    }

    if (surge === 0) {
      let numUnavailable = 0
      const replace: string[] = []
      const candidates: string[] = []
      for (const here of onNode.values()) {
        const s = split(here)
        if (!s || (!s.oldPod && !s.newPod) || (s.oldPod && s.newPod)) {
          numUnavailable++
          continue
        }
        if (s.newPod) {
          if (!isPodAvailable(s.newPod, minReady, now)) numUnavailable++
          continue
        }
        if (!isPodAvailable(s.oldPod!, minReady, now)) replace.push(String(s.oldPod!.metadata?.name))
        else if (numUnavailable < unavailable) candidates.push(String(s.oldPod!.metadata?.name))
      }
      const room = Math.min(Math.max(0, unavailable - numUnavailable), candidates.length)
      const victims = [...replace, ...candidates.slice(0, room)].map((n) => byName.get(n)!).filter(Boolean)
      return this.syncNodes(key, ds, victims, [], hash)
    }

    let numSurge = 0
    const deleteOld: PodObj[] = []
    const allowedNew: string[] = []
    const candidateNew: string[] = []
    for (const [node, here] of onNode) {
      const s = split(here)
      if (!s) {
        numSurge++
        continue
      }
      if (!placement.get(node)?.shouldRun) continue
      if (!s.oldPod) continue
      if (!s.newPod) {
        if (!isPodAvailable(s.oldPod, minReady, now)) allowedNew.push(node)
        else if (numSurge < surge) candidateNew.push(node)
        continue
      }
      if (!isPodAvailable(s.newPod, minReady, now)) {
        numSurge++
        continue
      }
      deleteOld.push(s.oldPod)
    }
    const room = Math.min(Math.max(0, surge - numSurge), candidateNew.length)
    return this.syncNodes(key, ds, deleteOld, [...allowedNew, ...candidateNew.slice(0, room)], hash)
  }

  private async updateStatus(ds: DaemonSetObj, nodes: NodeObj[], pods: PodObj[], hash: string): Promise<ReconcileResult> {
    const now = this.ctx.clock.now()
    const minReady = ds.spec?.minReadySeconds ?? 0
    const onNode = this.byNode(pods)
    let desired = 0
    let current = 0
    let misscheduled = 0
    let ready = 0
    let available = 0
    let updated = 0
    let wait: number | undefined
    for (const node of nodes) {
      const { shouldRun } = nodeShouldRunDaemonPod(node, ds)
      const here = onNode.get(String(node.metadata?.name)) ?? []
      if (shouldRun) {
        desired++
        if (here.length === 0) continue
        current++
        const pod = here[0]!
        if (isPodReady(pod)) {
          ready++
          if (isPodAvailable(pod, minReady, now)) available++
          else {
            const ms = msUntilAvailable(pod, minReady, now)
            if (ms !== undefined) wait = Math.min(wait ?? ms, ms)
          }
        }
        if (here.some((p) => p.metadata?.labels?.[REVISION_HASH_LABEL] === hash)) updated++
      } else if (here.length > 0) misscheduled++
    }
    const status: NonNullable<DaemonSetObj['status']> = {
      currentNumberScheduled: current,
      numberMisscheduled: misscheduled,
      desiredNumberScheduled: desired,
      numberReady: ready,
      observedGeneration: ds.metadata?.generation,
      updatedNumberScheduled: updated,
      numberAvailable: available,
      numberUnavailable: Math.max(0, desired - available),
    }
    if (ds.status?.collisionCount !== undefined) status.collisionCount = ds.status.collisionCount
    if (ds.status?.conditions) status.conditions = ds.status.conditions
    await this.writeStatus(RES.daemonsets, ds, status)
    if (wait !== undefined) return { requeueAfterMs: wait + 1 }
  }
}
