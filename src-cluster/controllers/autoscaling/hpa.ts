// The horizontal pod autoscaler (autoscaling/v2): every sync period (15 s on the controller
// Clock, periodic as upstream) it reads PodMetrics through the metrics API, computes desired
// replicas per resource metric, applies behavior (stabilization windows and rate policies)
// and min/max, scales the target through its scale subresource and reports status and
// conditions (AbleToScale, ScalingActive, ScalingLimited) with upstream's reasons.
import type { HorizontalPodAutoscalerCondition, HorizontalPodAutoscalerStatus, MetricSpec, MetricStatus } from 'kubernetes-types/autoscaling/v2'
import type { KubeObject } from '../../api/object'
import { parseQuantity } from '../../api/quantity'
import { RESOURCES } from '../../api/resources'
import { matchLabels, parseLabelSelector } from '../../api/selectors'
import { discoverExtraResources, type Client, type EventRecorder, type Informer, type ResourceRef } from '../../client'
import { ControllerQueue, type Controller, type ControllerContext } from '../framework'
import { isPodReady, rfc3339, setCondition, withKind } from '../batch/util'
import {
  DEFAULT_SCALE_DOWN,
  DEFAULT_SCALE_UP,
  resourceReplicas,
  scaleDownLimit,
  scaleUpLimit,
  stabilize,
  type PodSample,
  type Recommendation,
  type ScaleEvent,
} from './replicas'
import type { HpaObj, PodObj } from '../../kit/objects'
import { RES } from '../../kit/resources'
import { keyOf } from '../../kit/keys'

interface PodMetricsList {
  items: { metadata: { name: string }; containers: { name: string; usage: Record<string, string> }[] }[]
}

/** The scalable resource of a scaleTargetRef: built in, or a custom resource found by discovery. */
async function targetResource(client: Client, apiVersion: string, kind: string): Promise<ResourceRef | undefined> {
  const group = apiVersion.includes('/') ? apiVersion.split('/')[0]! : ''
  const info = RESOURCES.find((r) => r.group === group && r.kind === kind && r.subresources?.some((s) => s.name === 'scale'))
  if (info) return { group: info.group, version: info.version, plural: info.plural, namespaced: info.namespaced, kind: info.kind }
  const found = (await discoverExtraResources(client)).find((r) => r.group === group && r.kind === kind && r.subresources.includes('scale'))
  return found && { group: found.group, version: found.version, plural: found.plural, namespaced: found.namespaced, kind: found.kind }
}

export class HPAController implements Controller {
  readonly name = 'horizontal-pod-autoscaler'
  private q!: ControllerQueue
  private hpas!: Informer<HpaObj>
  private pods!: Informer<PodObj>
  private recorder!: EventRecorder
  private ctx!: ControllerContext
  private readonly recommendations = new Map<string, Recommendation[]>()
  private readonly scaleEvents = new Map<string, ScaleEvent[]>()

  async start(ctx: ControllerContext): Promise<void> {
    this.ctx = ctx
    this.q = new ControllerQueue(ctx, this.name)
    this.recorder = ctx.recorder('horizontal-pod-autoscaler')
    this.hpas = ctx.informers.for<HpaObj>(RES.hpas)
    this.pods = ctx.informers.for<PodObj>(RES.pods)
    this.hpas.addHandler({
      add: (h) => this.q.add(keyOf(h)),
      update: (o, n) => {
        if (o.metadata?.generation !== n.metadata?.generation) this.q.add(keyOf(n))
      },
      delete: (h) => {
        const k = keyOf(h)
        this.q.cancel(k)
        this.recommendations.delete(k)
        this.scaleEvents.delete(k)
      },
    })
    await Promise.all([this.hpas.start(), this.pods.start()])
    this.q.run(ctx.options.concurrentSyncs, (k) => this.sync(k))
  }

  stop(): void {
    this.q?.stop()
  }

  async sync(key: string): Promise<void> {
    const hpa = this.hpas.get(key)
    if (!hpa || hpa.metadata?.deletionTimestamp) return
    // Periodic: whatever happens now, look again after one sync period.
    this.q.after(key, this.ctx.options.horizontalPodAutoscalerSyncPeriodSeconds * 1000)
    await this.reconcile(key, hpa)
  }

  /** One evaluation: read the target's scale, propose from metrics, limit, rescale, write status. */
  private async reconcile(key: string, hpa: HpaObj): Promise<void> {
    const now = this.ctx.clock.now()
    const old = hpa.status ?? { desiredReplicas: 0 }
    const pass: HpaPass = {
      hpa,
      now,
      old,
      ev: withKind(hpa, 'autoscaling/v2', 'HorizontalPodAutoscaler'),
      conditions: (old.conditions ?? []) as HorizontalPodAutoscalerCondition[],
    }
    const spec = hpa.spec!
    const target = await this.getScale(pass)
    if (!target) return
    const { res, scale } = target
    const current = (scale.spec as { replicas?: number }).replicas ?? 0
    const statusReplicas = (scale.status as { replicas?: number }).replicas ?? 0
    const selector = (scale.status as { selector?: string }).selector ?? ''
    this.setCondition(pass, 'AbleToScale', 'True', 'SucceededGetScale', "the HPA controller was able to get the target's current scale")

    if (current === 0 && (spec.minReplicas ?? 1) !== 0) {
      this.setCondition(pass, 'ScalingActive', 'False', 'ScalingDisabled', 'scaling is disabled since the replica count of the target is zero')
      return this.write(pass, {
        ...old,
        currentReplicas: statusReplicas,
        desiredReplicas: 0,
        conditions: pass.conditions,
        observedGeneration: hpa.metadata?.generation,
      })
    }

    let proposed: Proposal
    try {
      proposed = await this.propose(hpa, selector, current)
    } catch (e) {
      if (e instanceof HpaError) return this.fail(pass, 'ScalingActive', e.reason, e.message, statusReplicas)
      return this.fail(
        pass,
        'ScalingActive',
        'FailedGetResourceMetric',
        `the HPA was unable to compute the replica count: ${(e as Error).message}`,
        statusReplicas,
      )
    }
    const { proposal, proposalMetric, currentMetrics } = proposed
    const message = `the HPA was able to successfully calculate a replica count from ${proposalMetric || 'its metrics'}`
    this.setCondition(pass, 'ScalingActive', 'True', 'ValidMetricFound', message)

    const { desired, limited, events } = this.limit(key, spec, current, proposal, now)
    pass.conditions = setCondition(pass.conditions, { type: 'ScalingLimited', ...limited }, now)

    const lastScaleTime = await this.rescale(key, pass, res, { desired, current, proposalMetric, statusReplicas, events })
    if (lastScaleTime === false) return
    await this.write(pass, {
      observedGeneration: hpa.metadata?.generation,
      lastScaleTime,
      currentReplicas: statusReplicas,
      desiredReplicas: desired,
      currentMetrics: currentMetrics.length ? currentMetrics : undefined,
      conditions: order(pass.conditions),
    })
  }

  private setCondition(pass: HpaPass, type: string, status: string, reason: string, message: string): void {
    pass.conditions = setCondition(pass.conditions, { type, status, reason, message }, pass.now)
  }

  private async write(pass: HpaPass, status: HorizontalPodAutoscalerStatus): Promise<void> {
    if (JSON.stringify(status) === JSON.stringify(pass.old)) return
    await this.ctx.client.update<HpaObj>(RES.hpas, { ...pass.ev, status }, { subresource: 'status' })
  }

  /** Record a Warning event and a False condition, and write the status otherwise unchanged. */
  private async fail(pass: HpaPass, cond: string, reason: string, message: string, current?: number): Promise<void> {
    const { old, hpa } = pass
    this.recorder.event(pass.ev, 'Warning', reason, message)
    this.setCondition(pass, cond, 'False', reason, message)
    if (cond === 'ScalingActive')
      this.setCondition(pass, 'AbleToScale', 'True', 'SucceededGetScale', "the HPA controller was able to get the target's current scale")
    await this.write(pass, {
      ...old,
      currentReplicas: current ?? old.currentReplicas,
      desiredReplicas: old.desiredReplicas ?? 0,
      conditions: pass.conditions,
      observedGeneration: hpa.metadata?.generation,
    })
  }

  /** The target's resource and its scale subresource, or undefined once the failure is recorded. */
  private async getScale(pass: HpaPass): Promise<{ res: ResourceRef; scale: KubeObject } | undefined> {
    const ref = pass.hpa.spec!.scaleTargetRef
    const ns = pass.hpa.metadata!.namespace!
    const unable = "the HPA controller was unable to get the target's current scale"
    let res: ResourceRef | undefined
    try {
      res = await targetResource(this.ctx.client, ref.apiVersion ?? '', ref.kind)
    } catch (e) {
      return void (await this.fail(pass, 'AbleToScale', 'FailedGetScale', `${unable}: discovery failed: ${(e as Error).message}`))
    }
    if (!res) return void (await this.fail(pass, 'AbleToScale', 'FailedGetScale', `${unable}: no scale subresource for ${ref.kind} in ${ref.apiVersion}`))
    let scale: KubeObject | undefined
    try {
      scale = await this.ctx.client.get<KubeObject>(res, ns, ref.name, { subresource: 'scale' })
    } catch (e) {
      return void (await this.fail(pass, 'AbleToScale', 'FailedGetScale', `${unable}: ${(e as Error).message}`))
    }
    if (!scale) return void (await this.fail(pass, 'AbleToScale', 'FailedGetScale', `${unable}: ${res.plural}.${res.group} "${ref.name}" not found`))
    return { res, scale }
  }

  /** Metrics → proposal: the largest over all metrics, as upstream. Throws HpaError on a bad metric. */
  private async propose(hpa: HpaObj, selector: string, current: number): Promise<Proposal> {
    const ns = hpa.metadata!.namespace!
    let proposal = 0
    let proposalMetric = ''
    const currentMetrics: MetricStatus[] = []
    const sel = parseLabelSelector(selector)
    const pods = this.pods
      .byIndex('namespace', ns)
      .filter((p) => matchLabels(sel, p.metadata?.labels) && !p.metadata?.deletionTimestamp && p.status?.phase !== 'Failed' && p.status?.phase !== 'Succeeded')
    let metrics: Map<string, Record<string, number>> | undefined
    const usage = async (): Promise<Map<string, Record<string, number>>> => (metrics ??= await this.podUsage(ns, selector))
    for (const m of hpa.spec!.metrics ?? []) {
      const r = await this.metricReplicas(m, pods, usage, current)
      if (r.replicas > proposal || !proposalMetric) {
        proposal = r.replicas
        proposalMetric = r.name
      }
      currentMetrics.push(r.status)
    }
    if (!proposalMetric) proposal = current
    return { proposal, proposalMetric, currentMetrics }
  }

  /** Replicas one Resource / ContainerResource metric asks for, and its current value for status. */
  private async metricReplicas(
    m: MetricSpec,
    pods: PodObj[],
    usage: () => Promise<Map<string, Record<string, number>>>,
    current: number,
  ): Promise<{ replicas: number; name: string; status: MetricStatus }> {
    if (m.type !== 'Resource' && m.type !== 'ContainerResource') {
      throw new HpaError(
        'InvalidMetricSourceType',
        `the HPA was unable to compute the replica count: metric type ${m.type} is not supported by this cluster (only Resource metrics)`,
      )
    }
    const src = m.type === 'Resource' ? m.resource! : m.containerResource!
    const container = m.type === 'ContainerResource' ? m.containerResource!.container : undefined
    const metrics = await usage()
    const samples: PodSample[] = pods.map((p) => {
      let request = 0
      for (const c of p.spec?.containers ?? []) {
        if (container && c.name !== container) continue
        const r = c.resources?.requests?.[src.name]
        if (r === undefined && src.target.type === 'Utilization')
          throw new HpaError(
            'FailedGetResourceMetric',
            `the HPA was unable to compute the replica count: failed to get ${src.name} utilization: missing request for ${src.name} in container ${c.name} of Pod ${p.metadata!.name}`,
          )
        request += r === undefined ? 0 : parseQuantity(String(r))
      }
      const u = metrics.get(p.metadata!.name!)
      const used = u ? (container ? u[`${container}/${src.name}`] : u[src.name]) : undefined
      return { name: p.metadata!.name!, usage: used, request, ready: isPodReady(p) }
    })
    const target =
      src.target.type === 'Utilization'
        ? { kind: 'Utilization' as const, value: src.target.averageUtilization ?? 80 }
        : { kind: 'AverageValue' as const, value: parseQuantity(String(src.target.averageValue ?? '0')) }
    let r
    try {
      r = resourceReplicas(current, samples, target, this.ctx.options.horizontalPodAutoscalerTolerance)
    } catch (e) {
      throw new HpaError(
        'FailedGetResourceMetric',
        `the HPA was unable to compute the replica count: failed to get ${src.name} utilization: ${(e as Error).message}`,
      )
    }
    const name = target.kind === 'Utilization' ? `${src.name} resource utilization (percentage of request)` : `${src.name} resource`
    const cur = { averageUtilization: r.utilization, averageValue: formatUsage(src.name, r.averageUsage) }
    const status: MetricStatus =
      m.type === 'Resource'
        ? { type: 'Resource', resource: { name: src.name, current: cur } }
        : { type: 'ContainerResource', containerResource: { name: src.name, container: container!, current: cur } }
    return { replicas: r.replicas, name, status }
  }

  /** Behavior: stabilize the proposal, then rate-limit it and clamp it to [min, max]. */
  private limit(key: string, spec: NonNullable<HpaObj['spec']>, current: number, proposal: number, now: Date) {
    const minReplicas = spec.minReplicas ?? 1
    const up = { ...DEFAULT_SCALE_UP, ...(spec.behavior?.scaleUp ?? {}) }
    const down = { ...DEFAULT_SCALE_DOWN, ...(spec.behavior?.scaleDown ?? {}) }
    if (spec.behavior?.scaleDown?.stabilizationWindowSeconds == null)
      down.stabilizationWindowSeconds = this.ctx.options.horizontalPodAutoscalerDownscaleStabilizationSeconds
    const t = now.getTime()
    const history = this.recommendations.get(key) ?? []
    const stable = stabilize(current, proposal, history, t, up.stabilizationWindowSeconds ?? 0, down.stabilizationWindowSeconds ?? 300)
    const keepFor = Math.max(up.stabilizationWindowSeconds ?? 0, down.stabilizationWindowSeconds ?? 0) * 1000
    this.recommendations.set(key, [...history.filter((r) => r.at > t - keepFor), { at: t, replicas: proposal }])
    const events = (this.scaleEvents.get(key) ?? []).filter((e) => e.at > t - 30 * 60_000)
    const maxReplicas = spec.maxReplicas
    let desired = stable
    let limited = { status: 'False', reason: 'DesiredWithinRange', message: 'the desired count is within the acceptable range' }
    const upLimit = Math.min(scaleUpLimit(current, events, up, t), maxReplicas)
    const downLimit = Math.max(scaleDownLimit(current, events, down, t), minReplicas)
    if (desired > upLimit) {
      desired = upLimit
      limited =
        upLimit === maxReplicas
          ? { status: 'True', reason: 'TooManyReplicas', message: 'the desired replica count is more than the maximum replica count' }
          : { status: 'True', reason: 'ScaleUpLimit', message: 'the desired replica count is increasing faster than the maximum scale rate' }
    } else if (desired < downLimit) {
      desired = downLimit
      limited =
        downLimit === minReplicas
          ? { status: 'True', reason: 'TooFewReplicas', message: 'the desired replica count is less than the minimum replica count' }
          : { status: 'True', reason: 'ScaleDownLimit', message: 'the desired replica count is decreasing faster than the maximum scale rate' }
    }
    return { desired, limited, events }
  }

  /** Patch the target's scale when desired differs; the new lastScaleTime, or false after a failed patch (status written). */
  private async rescale(
    key: string,
    pass: HpaPass,
    res: ResourceRef,
    a: { desired: number; current: number; proposalMetric: string; statusReplicas: number; events: ScaleEvent[] },
  ): Promise<string | undefined | false> {
    const { desired, current, proposalMetric } = a
    const ref = pass.hpa.spec!.scaleTargetRef
    if (desired === current) {
      this.setCondition(pass, 'AbleToScale', 'True', 'ReadyForNewScale', 'recommended size matches current size')
      return pass.old.lastScaleTime
    }
    try {
      await this.ctx.client.patch(res, pass.hpa.metadata!.namespace!, ref.name, { spec: { replicas: desired } }, 'merge', { subresource: 'scale' })
    } catch (e) {
      const err = (e as Error).message
      this.recorder.event(
        pass.ev,
        'Warning',
        'FailedRescale',
        `New size: ${desired}; reason: ${rescaleReason(desired, current, proposalMetric)}; error: ${err}`,
      )
      this.setCondition(pass, 'AbleToScale', 'False', 'FailedUpdateScale', `the HPA controller was unable to update the target scale: ${err}`)
      await this.write(pass, { ...pass.old, currentReplicas: a.statusReplicas, conditions: pass.conditions })
      return false
    }
    this.scaleEvents.set(key, [...a.events, { at: pass.now.getTime(), change: desired - current }])
    this.recorder.event(pass.ev, 'Normal', 'SuccessfulRescale', `New size: ${desired}; reason: ${rescaleReason(desired, current, proposalMetric)}`)
    this.setCondition(pass, 'AbleToScale', 'True', 'SucceededRescale', `the HPA controller was able to update the target scale to ${desired}`)
    return rfc3339(pass.now)
  }

  /** Usage per pod name: "<resource>" summed over containers and "<container>/<resource>". */
  private async podUsage(ns: string, selector: string): Promise<Map<string, Record<string, number>>> {
    const q = selector ? `?labelSelector=${encodeURIComponent(selector)}` : ''
    const list = await this.ctx.client.request<PodMetricsList>('GET', `/apis/metrics.k8s.io/v1beta1/namespaces/${encodeURIComponent(ns)}/pods${q}`)
    const out = new Map<string, Record<string, number>>()
    for (const item of list.items ?? []) {
      const u: Record<string, number> = {}
      for (const c of item.containers ?? []) {
        for (const [r, v] of Object.entries(c.usage ?? {})) {
          const n = parseQuantity(v)
          u[r] = (u[r] ?? 0) + n
          u[`${c.name}/${r}`] = n
        }
      }
      out.set(item.metadata.name, u)
    }
    return out
  }
}

/** One evaluation of an HPA: what it read and the conditions it is building. */
interface HpaPass {
  readonly hpa: HpaObj
  readonly now: Date
  readonly old: HorizontalPodAutoscalerStatus
  readonly ev: HpaObj
  conditions: HorizontalPodAutoscalerCondition[]
}

interface Proposal {
  readonly proposal: number
  readonly proposalMetric: string
  readonly currentMetrics: MetricStatus[]
}

class HpaError extends Error {
  constructor(
    readonly reason: string,
    message: string,
  ) {
    super(message)
  }
}

function rescaleReason(desired: number, current: number, metric: string): string {
  return desired > current ? `${metric} above target` : 'All metrics below target'
}

function formatUsage(resource: string, v: number): string {
  if (resource === 'cpu') return `${Math.round(v * 1000)}m`
  return `${Math.round(v)}`
}

function order(c: HorizontalPodAutoscalerCondition[]): HorizontalPodAutoscalerCondition[] {
  const rank = ['AbleToScale', 'ScalingActive', 'ScalingLimited']
  return [...c].sort((a, b) => rank.indexOf(a.type) - rank.indexOf(b.type))
}
