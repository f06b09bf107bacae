// EndpointSlice controller (discovery.k8s.io/v1): for every Service with a selector, slices
// named <service>-<random> labelled kubernetes.io/service-name and managed-by this controller,
// holding one endpoint per pod (address, ready/serving/terminating, nodeName, targetRef) and the
// ports resolved for those pods. Pods whose ports resolve differently land in different slices;
// a slice holds at most 100 endpoints. A Service with no endpoints keeps one empty slice.
// It also mirrors the API server's default/kubernetes Endpoints into a slice named `kubernetes`.
import type { Endpoint, EndpointPort } from 'kubernetes-types/discovery/v1'
import type { Informer } from '../../client'
import { startQueue, type Controller, type ControllerContext, type ControllerQueue } from '../framework'
import { hasAddress, podHostname, resolvePort, selectedPods, serviceSelects } from './endpoint-pods'
import { isAlreadyExists, isConflict, isNotFound, podIsReady, sameJson } from './util'
import type { EndpointsObj, PodObj, ServiceObj, SliceObj } from '../../kit/objects'
import { RES } from '../../kit/resources'
import { keyOf, splitKey } from '../../kit/keys'

export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name'
export const MANAGED_BY_LABEL = 'endpointslice.kubernetes.io/managed-by'
export const MANAGED_BY = 'endpointslice-controller.k8s.io'
export const MAX_ENDPOINTS_PER_SLICE = 100

export interface DesiredSlice {
  addressType: 'IPv4' | 'IPv6'
  ports: EndpointPort[]
  endpoints: Endpoint[]
}

/** The slices a Service should have given the pods it selects (pure: unit-tested directly). */
export function desiredSlices(svc: ServiceObj, pods: readonly PodObj[], maxPerSlice = MAX_ENDPOINTS_PER_SLICE): DesiredSlice[] {
  const publishNotReady = svc.spec?.publishNotReadyAddresses === true
  const groups = new Map<string, DesiredSlice>()
  for (const pod of [...pods].sort((a, b) => String(a.metadata?.name).localeCompare(String(b.metadata?.name)))) {
    if (!hasAddress(pod)) continue
    const ip = pod.status!.podIP!
    const addressType = ip.includes(':') ? 'IPv6' : 'IPv4'
    const ports: EndpointPort[] = []
    for (const sp of svc.spec?.ports ?? []) {
      const port = resolvePort(sp, pod)
      if (port === undefined) continue
      const p: EndpointPort = { name: sp.name ?? '', port, protocol: sp.protocol ?? 'TCP' }
      if (sp.appProtocol) p.appProtocol = sp.appProtocol
      ports.push(p)
    }
    if (ports.length === 0 && (svc.spec?.ports ?? []).length > 0) continue
    const terminating = !!pod.metadata?.deletionTimestamp
    const serving = podIsReady(pod)
    const ep: Endpoint = {
      addresses: [ip],
      conditions: { ready: publishNotReady || (serving && !terminating), serving: publishNotReady || serving, terminating },
      nodeName: pod.spec!.nodeName,
      targetRef: { kind: 'Pod', namespace: pod.metadata?.namespace, name: pod.metadata?.name, uid: pod.metadata?.uid },
    }
    const host = podHostname(svc, pod)
    if (host) ep.hostname = host
    const sig = `${addressType}|${JSON.stringify(ports)}`
    let g = groups.get(sig)
    if (!g) groups.set(sig, (g = { addressType, ports, endpoints: [] }))
    g.endpoints.push(ep)
  }
  const out: DesiredSlice[] = []
  for (const g of groups.values()) {
    for (let i = 0; i < g.endpoints.length; i += maxPerSlice)
      out.push({ addressType: g.addressType, ports: g.ports, endpoints: g.endpoints.slice(i, i + maxPerSlice) })
  }
  // A placeholder slice says "this Service has no endpoints" rather than "not processed yet".
  if (out.length === 0) out.push({ addressType: 'IPv4', ports: [], endpoints: [] })
  return out
}

const sliceSig = (s: { addressType?: string; ports?: EndpointPort[] | null }) => `${s.addressType}|${JSON.stringify(s.ports ?? [])}`

export class EndpointSliceController implements Controller {
  readonly name = 'endpointslice-controller'
  private q?: ControllerQueue
  /** Slices we wrote that the informer has not shown yet: svc key → slice name → minimum resourceVersion (0 = must be gone). */
  private readonly pending = new Map<string, Map<string, number>>()

  async start(ctx: ControllerContext): Promise<void> {
    const services = ctx.informers.for<ServiceObj>(RES.services)
    const pods = ctx.informers.for<PodObj>(RES.pods)
    const slices = ctx.informers.for<SliceObj>(RES.slices)
    const endpoints = ctx.informers.for<EndpointsObj>(RES.endpoints)
    const q = (this.q = startQueue(ctx, this.name, 2, (key) => this.reconcile(ctx, key, services, pods, slices, endpoints)))
    const enqueueSvc = (s: ServiceObj) => q.queue.add(keyOf(s))
    const enqueueForPod = (p: PodObj) => {
      for (const s of services.list()) if (serviceSelects(s, p)) q.queue.add(keyOf(s))
    }
    const enqueueForSlice = (s: SliceObj) => {
      const svc = s.metadata?.labels?.[SERVICE_NAME_LABEL]
      if (svc) q.queue.add(`${s.metadata?.namespace}/${svc}`)
    }
    services.addHandler({ add: enqueueSvc, update: (_o, n) => enqueueSvc(n), delete: enqueueSvc })
    pods.addHandler({
      add: enqueueForPod,
      update: (o, n) => {
        enqueueForPod(n)
        if (!sameJson(o.metadata?.labels, n.metadata?.labels)) enqueueForPod(o)
      },
      delete: enqueueForPod,
    })
    slices.addHandler({ add: enqueueForSlice, update: (_o, n) => enqueueForSlice(n), delete: enqueueForSlice })
    // Only the API server's own Endpoints are mirrored (see mirrorKubernetes).
    const onEndpoints = (e: EndpointsObj) => {
      if (keyOf(e) === 'default/kubernetes') q.queue.add('default/kubernetes')
    }
    endpoints.addHandler({ add: onEndpoints, update: (_o, n) => onEndpoints(n), delete: onEndpoints })
    await Promise.all([services.start(), pods.start(), slices.start(), endpoints.start()])
    for (const s of services.list()) enqueueSvc(s)
  }

  stop(): void {
    this.q?.stop()
  }

  /** Whether the slice cache has caught up with our own writes for this Service. */
  private cacheCaughtUp(key: string, slices: Informer<SliceObj>, ns: string | undefined): boolean {
    const p = this.pending.get(key)
    if (!p) return true
    for (const [name, rv] of p) {
      const cached = slices.get(`${ns}/${name}`)
      const ok = rv === 0 ? !cached : !!cached && Number(cached.metadata?.resourceVersion) >= rv
      if (ok) p.delete(name)
    }
    if (p.size === 0) this.pending.delete(key)
    return p.size === 0
  }

  private expect(key: string, name: string, rv: number): void {
    let p = this.pending.get(key)
    if (!p) this.pending.set(key, (p = new Map()))
    p.set(name, rv)
  }

  private async reconcile(
    ctx: ControllerContext,
    key: string,
    services: Informer<ServiceObj>,
    pods: Informer<PodObj>,
    slices: Informer<SliceObj>,
    endpoints: Informer<EndpointsObj>,
  ): Promise<void | { requeueAfterMs: number }> {
    const { namespace, name } = splitKey(key)
    // A slice event for our own write will enqueue the Service again once the cache has it.
    if (!this.cacheCaughtUp(key, slices, namespace)) return { requeueAfterMs: 1000 }
    if (key === 'default/kubernetes') return this.mirrorKubernetes(ctx, slices, endpoints)
    const svc = services.get(key)
    const mine = slices
      .list()
      .filter(
        (s) =>
          s.metadata?.namespace === namespace && s.metadata?.labels?.[SERVICE_NAME_LABEL] === name && s.metadata?.labels?.[MANAGED_BY_LABEL] === MANAGED_BY,
      )
    const sel = svc?.spec?.selector
    if (!svc || !sel || Object.keys(sel).length === 0) {
      // No Service (or no selector): our slices for it go away.
      for (const s of mine) await this.deleteSlice(ctx, key, s)
      return
    }
    const want = desiredSlices(svc, selectedPods(svc, pods.list()))
    const labels: Record<string, string> = { ...(svc.metadata?.labels ?? {}), [SERVICE_NAME_LABEL]: name, [MANAGED_BY_LABEL]: MANAGED_BY }
    if (svc.spec?.clusterIP === 'None') labels['service.kubernetes.io/headless'] = ''
    // Reuse existing slices with the same address type and ports; sort so reuse is stable.
    const free = [...mine].sort((a, b) => String(a.metadata?.name).localeCompare(String(b.metadata?.name)))
    for (const d of want) {
      const i = free.findIndex((s) => sliceSig(s) === sliceSig(d))
      const existing = i >= 0 ? free.splice(i, 1)[0] : undefined
      if (existing) {
        if (sameJson(existing.endpoints ?? [], d.endpoints) && sameJson(existing.metadata?.labels ?? {}, labels)) continue
        const updated = await ctx.client.update<SliceObj>(RES.slices, {
          ...existing,
          metadata: { ...existing.metadata, labels },
          ports: d.ports,
          endpoints: d.endpoints,
        })
        this.expect(key, String(updated.metadata?.name), Number(updated.metadata?.resourceVersion))
      } else {
        const body: SliceObj = {
          apiVersion: 'discovery.k8s.io/v1',
          kind: 'EndpointSlice',
          metadata: {
            generateName: `${name.slice(0, 57)}-`,
            namespace,
            labels,
            ownerReferences: [{ apiVersion: 'v1', kind: 'Service', name, uid: svc.metadata!.uid!, controller: true, blockOwnerDeletion: true }],
          },
          addressType: d.addressType,
          ports: d.ports,
          endpoints: d.endpoints,
        }
        const created = await ctx.client.create<SliceObj>(RES.slices, namespace, body)
        this.expect(key, String(created.metadata?.name), Number(created.metadata?.resourceVersion))
      }
    }
    for (const s of free) await this.deleteSlice(ctx, key, s)
  }

  private async deleteSlice(ctx: ControllerContext, key: string, s: SliceObj): Promise<void> {
    try {
      await ctx.client.delete(RES.slices, s.metadata?.namespace, String(s.metadata?.name), { preconditions: { uid: s.metadata?.uid } })
      this.expect(key, String(s.metadata?.name), 0)
    } catch (e) {
      if (!isNotFound(e) && !isConflict(e)) throw e
    }
  }

  /**
   * The API server writes default/kubernetes Endpoints and the matching slice named `kubernetes`
   * itself (apiserver/endpoint-reconciler.ts, as upstream's); this mirror writes the same slice,
   * so it only acts when the two differ (an API server older than that, or reconciler `none`).
   */
  private async mirrorKubernetes(ctx: ControllerContext, slices: Informer<SliceObj>, endpoints: Informer<EndpointsObj>): Promise<void> {
    const ep = endpoints.get('default/kubernetes')
    const cur = slices.get('default/kubernetes')
    if (!ep) return
    const subset = ep.subsets?.[0]
    const ports: EndpointPort[] = (subset?.ports ?? []).map((p) => ({ name: p.name ?? '', port: p.port, protocol: p.protocol ?? 'TCP' }))
    const eps: Endpoint[] = (subset?.addresses ?? []).map((a) => ({ addresses: [a.ip], conditions: { ready: true } }))
    const labels = { [SERVICE_NAME_LABEL]: 'kubernetes' }
    if (cur && sameJson(cur.ports ?? [], ports) && sameJson(cur.endpoints ?? [], eps)) return
    const body: SliceObj = {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name: 'kubernetes', namespace: 'default', labels },
      addressType: 'IPv4',
      ports,
      endpoints: eps,
    }
    try {
      const out = cur
        ? await ctx.client.update<SliceObj>(RES.slices, { ...cur, ports, endpoints: eps })
        : await ctx.client.create<SliceObj>(RES.slices, 'default', body)
      this.expect('default/kubernetes', 'kubernetes', Number(out.metadata?.resourceVersion))
    } catch (e) {
      if (!isAlreadyExists(e)) throw e
    }
  }
}
