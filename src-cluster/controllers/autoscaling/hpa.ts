// The horizontal pod autoscaler (autoscaling/v2): every sync period (15 s on the controller
// Clock, periodic as upstream) it reads PodMetrics through the metrics API, computes desired
// replicas per resource metric, applies behavior (stabilization windows and rate policies)
// and min/max, scales the target through its scale subresource and reports status and
// conditions (AbleToScale, ScalingActive, ScalingLimited) with upstream's reasons.
import type { HorizontalPodAutoscalerCondition, HorizontalPodAutoscalerStatus, MetricStatus } from 'kubernetes-types/autoscaling/v2'
import type { KubeObject } from '../../api/errors'
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

  private async reconcile(key: string, hpa: HpaObj): Promise<void> {
    const now = this.ctx.clock.now()
    const ns = hpa.metadata!.namespace!
    const spec = hpa.spec!
    const old = hpa.status ?? { desiredReplicas: 0 }
    let conditions = (old.conditions ?? []) as HorizontalPodAutoscalerCondition[]
    const ev = withKind(hpa, 'autoscaling/v2', 'HorizontalPodAutoscaler')
    const ref = spec.scaleTargetRef
    const write = async (status: HorizontalPodAutoscalerStatus): Promise<void> => {
      if (JSON.stringify(status) === JSON.stringify(old)) return
      await this.ctx.client.update<HpaObj>(RES.hpas, { ...ev, status }, { subresource: 'status' })
    }
    const fail = async (cond: string, reason: string, message: string, current?: number): Promise<void> => {
      this.recorder.event(ev, 'Warning', reason, message)
      conditions = setCondition(conditions, { type: cond, status: 'False', reason, message }, now)
      if (cond === 'ScalingActive')
        conditions = setCondition(
          conditions,
          { type: 'AbleToScale', status: 'True', reason: 'SucceededGetScale', message: "the HPA controller was able to get the target's current scale" },
          now,
        )
      await write({
        ...old,
        currentReplicas: current ?? old.currentReplicas,
        desiredReplicas: old.desiredReplicas ?? 0,
        conditions,
        observedGeneration: hpa.metadata?.generation,
      })
    }

    let res: ResourceRef | undefined
    try {
      res = await targetResource(this.ctx.client, ref.apiVersion ?? '', ref.kind)
    } catch (e) {
      return fail('AbleToScale', 'FailedGetScale', `the HPA controller was unable to get the target's current scale: discovery failed: ${(e as Error).message}`)
    }
    if (!res)
      return fail(
        'AbleToScale',
        'FailedGetScale',
        `the HPA controller was unable to get the target's current scale: no scale subresource for ${ref.kind} in ${ref.apiVersion}`,
      )
    let scale: KubeObject | undefined
    try {
      scale = await this.ctx.client.get<KubeObject>(res, ns, ref.name, { subresource: 'scale' })
    } catch (e) {
      return fail('AbleToScale', 'FailedGetScale', `the HPA controller was unable to get the target's current scale: ${(e as Error).message}`)
    }
    if (!scale)
      return fail(
        'AbleToScale',
        'FailedGetScale',
        `the HPA controller was unable to get the target's current scale: ${res.plural}.${res.group} "${ref.name}" not found`,
      )
    const current = (scale.spec as { replicas?: number }).replicas ?? 0
    const statusReplicas = (scale.status as { replicas?: number }).replicas ?? 0
    const selector = (scale.status as { selector?: string }).selector ?? ''
    const minReplicas = spec.minReplicas ?? 1
    conditions = setCondition(
      conditions,
      { type: 'AbleToScale', status: 'True', reason: 'SucceededGetScale', message: "the HPA controller was able to get the target's current scale" },
      now,
    )

    if (current === 0 && minReplicas !== 0) {
      conditions = setCondition(
        conditions,
        { type: 'ScalingActive', status: 'False', reason: 'ScalingDisabled', message: 'scaling is disabled since the replica count of the target is zero' },
        now,
      )
      return write({ ...old, currentReplicas: statusReplicas, desiredReplicas: 0, conditions, observedGeneration: hpa.metadata?.generation })
    }

    // Metrics → proposal (the largest over all metrics, as upstream).
    let proposal = 0
    let proposalMetric = ''
    const currentMetrics: MetricStatus[] = []
    let pods: PodObj[] = []
    let metrics: Map<string, Record<string, number>> | undefined
    try {
      const sel = parseLabelSelector(selector)
      pods = this.pods
        .byIndex('namespace', ns)
        .filter(
          (p) => matchLabels(sel, p.metadata?.labels) && !p.metadata?.deletionTimestamp && p.status?.phase !== 'Failed' && p.status?.phase !== 'Succeeded',
        )
      for (const m of spec.metrics ?? []) {
        if (m.type !== 'Resource' && m.type !== 'ContainerResource') {
          throw new HpaError(
            'InvalidMetricSourceType',
            `the HPA was unable to compute the replica count: metric type ${m.type} is not supported by this cluster (only Resource metrics)`,
          )
        }
        const src = m.type === 'Resource' ? m.resource! : m.containerResource!
        const container = m.type === 'ContainerResource' ? m.containerResource!.container : undefined
        metrics ??= await this.podUsage(ns, selector)
        const samples: PodSample[] = pods.map((p) => {
          const cs = p.spec?.containers ?? []
          let request = 0
          for (const c of cs) {
            if (container && c.name !== container) continue
            const r = c.resources?.requests?.[src.name]
            if (r === undefined && src.target.type === 'Utilization')
              throw new HpaError(
                'FailedGetResourceMetric',
                `the HPA was unable to compute the replica count: failed to get ${src.name} utilization: missing request for ${src.name} in container ${c.name} of Pod ${p.metadata!.name}`,
              )
            request += r === undefined ? 0 : parseQuantity(String(r))
          }
          const u = metrics!.get(p.metadata!.name!)
          const usage = u ? (container ? u[`${container}/${src.name}`] : u[src.name]) : undefined
          return { name: p.metadata!.name!, usage, request, ready: isPodReady(p) }
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
        if (r.replicas > proposal || !proposalMetric) {
          proposal = r.replicas
          proposalMetric = name
        }
        const cur = { averageUtilization: r.utilization, averageValue: formatUsage(src.name, r.averageUsage) }
        currentMetrics.push(
          m.type === 'Resource'
            ? { type: 'Resource', resource: { name: src.name, current: cur } }
            : { type: 'ContainerResource', containerResource: { name: src.name, container: container!, current: cur } },
        )
      }
    } catch (e) {
      if (e instanceof HpaError) return fail('ScalingActive', e.reason, e.message, statusReplicas)
      return fail('ScalingActive', 'FailedGetResourceMetric', `the HPA was unable to compute the replica count: ${(e as Error).message}`, statusReplicas)
    }
    if (!proposalMetric) proposal = current
    conditions = setCondition(
      conditions,
      {
        type: 'ScalingActive',
        status: 'True',
        reason: 'ValidMetricFound',
        message: `the HPA was able to successfully calculate a replica count from ${proposalMetric || 'its metrics'}`,
      },
      now,
    )

    // Behavior: stabilize, then rate-limit and clamp to [min, max].
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
    conditions = setCondition(conditions, { type: 'ScalingLimited', ...limited }, now)

    let lastScaleTime = old.lastScaleTime
    if (desired !== current) {
      try {
        await this.ctx.client.patch(res, ns, ref.name, { spec: { replicas: desired } }, 'merge', { subresource: 'scale' })
      } catch (e) {
        this.recorder.event(
          ev,
          'Warning',
          'FailedRescale',
          `New size: ${desired}; reason: ${rescaleReason(desired, current, proposalMetric)}; error: ${(e as Error).message}`,
        )
        conditions = setCondition(
          conditions,
          {
            type: 'AbleToScale',
            status: 'False',
            reason: 'FailedUpdateScale',
            message: `the HPA controller was unable to update the target scale: ${(e as Error).message}`,
          },
          now,
        )
        await write({ ...old, currentReplicas: statusReplicas, conditions })
        return
      }
      this.scaleEvents.set(key, [...events, { at: t, change: desired - current }])
      this.recorder.event(ev, 'Normal', 'SuccessfulRescale', `New size: ${desired}; reason: ${rescaleReason(desired, current, proposalMetric)}`)
      conditions = setCondition(
        conditions,
        { type: 'AbleToScale', status: 'True', reason: 'SucceededRescale', message: `the HPA controller was able to update the target scale to ${desired}` },
        now,
      )
      lastScaleTime = rfc3339(now)
    } else {
      conditions = setCondition(
        conditions,
        { type: 'AbleToScale', status: 'True', reason: 'ReadyForNewScale', message: 'recommended size matches current size' },
        now,
      )
    }
    await write({
      observedGeneration: hpa.metadata?.generation,
      lastScaleTime,
      currentReplicas: statusReplicas,
      desiredReplicas: desired,
      currentMetrics: currentMetrics.length ? currentMetrics : undefined,
      conditions: order(conditions),
    })
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
