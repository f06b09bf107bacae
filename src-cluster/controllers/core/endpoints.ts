// Endpoints controller: keeps core/v1 Endpoints (same name as the Service) listing the pods a
// Service selects: ready pods under `addresses`, the others under `notReadyAddresses`, grouped
// into subsets that share one set of ports. Services without a selector are left to whoever
// writes their Endpoints (the API server for default/kubernetes, users for external backends).
import type { EndpointAddress, EndpointPort, EndpointSubset } from 'kubernetes-types/core/v1'
import type { Informer } from '../../client'
import { startQueue, type Controller, type ControllerContext, type ControllerQueue } from '../framework'
import { hasAddress, podHostname, resolvePort, selectedPods, serviceSelects } from './endpoint-pods'
import { isAlreadyExists, isConflict, isNotFound, podIsReady, sameJson } from './util'
import type { EndpointsObj, PodObj, ServiceObj } from '../../kit/objects'
import { RES } from '../../kit/resources'
import { keyOf, splitKey } from '../../kit/keys'

/** Subsets for a Service given the pods it selects (pure: unit-tested directly). */
export function buildSubsets(svc: ServiceObj, pods: readonly PodObj[]): EndpointSubset[] {
  const tolerateUnready = svc.spec?.publishNotReadyAddresses === true
  const headless = svc.spec?.clusterIP === 'None'
  // key: ports signature → subset under construction
  const groups = new Map<string, { ports: EndpointPort[]; ready: EndpointAddress[]; notReady: EndpointAddress[] }>()
  for (const pod of pods) {
    if (!hasAddress(pod)) continue
    // Terminating pods leave Endpoints at once unless the Service publishes unready addresses.
    if (pod.metadata?.deletionTimestamp && !tolerateUnready) continue
    const addr: EndpointAddress = {
      ip: pod.status!.podIP!,
      nodeName: pod.spec!.nodeName,
      targetRef: { kind: 'Pod', namespace: pod.metadata?.namespace, name: pod.metadata?.name, uid: pod.metadata?.uid },
    }
    const host = podHostname(svc, pod)
    if (host) addr.hostname = host
    const ports: EndpointPort[] = []
    for (const sp of svc.spec?.ports ?? []) {
      const port = resolvePort(sp, pod)
      if (port === undefined) continue
      const ep: EndpointPort = { port, protocol: sp.protocol ?? 'TCP' }
      if (sp.name) ep.name = sp.name
      if (sp.appProtocol) ep.appProtocol = sp.appProtocol
      ports.push(ep)
    }
    // A pod reachable on none of the ports is not an endpoint, except for port-less headless services.
    if (ports.length === 0 && !(headless && (svc.spec?.ports ?? []).length === 0)) continue
    ports.sort((a, b) => (a.name ?? '').localeCompare(b.name ?? '') || a.port - b.port)
    const sig = JSON.stringify(ports)
    let g = groups.get(sig)
    if (!g) groups.set(sig, (g = { ports, ready: [], notReady: [] }))
    if (tolerateUnready || podIsReady(pod)) g.ready.push(addr)
    else g.notReady.push(addr)
  }
  const byIp = (a: EndpointAddress, b: EndpointAddress) => a.ip.localeCompare(b.ip, 'en', { numeric: true })
  const out: EndpointSubset[] = []
  for (const g of [...groups.values()].sort((a, b) => JSON.stringify(a.ports).localeCompare(JSON.stringify(b.ports)))) {
    const s: EndpointSubset = {}
    if (g.ready.length) s.addresses = g.ready.sort(byIp)
    if (g.notReady.length) s.notReadyAddresses = g.notReady.sort(byIp)
    if (g.ports.length) s.ports = g.ports
    out.push(s)
  }
  return out
}

export class EndpointsController implements Controller {
  readonly name = 'endpoints-controller'
  private q?: ControllerQueue

  async start(ctx: ControllerContext): Promise<void> {
    const services = ctx.informers.for<ServiceObj>(RES.services)
    const pods = ctx.informers.for<PodObj>(RES.pods)
    const endpoints = ctx.informers.for<EndpointsObj>(RES.endpoints)
    const q = (this.q = startQueue(ctx, this.name, 2, (key) => this.reconcile(ctx, key, services, pods, endpoints)))
    const enqueueSvc = (s: ServiceObj) => q.queue.add(keyOf(s))
    const enqueueForPod = (p: PodObj) => {
      for (const s of services.list()) if (serviceSelects(s, p)) q.queue.add(keyOf(s))
    }
    services.addHandler({ add: enqueueSvc, update: (_o, n) => enqueueSvc(n), delete: enqueueSvc })
    pods.addHandler({
      add: enqueueForPod,
      update: (o, n) => {
        enqueueForPod(n)
        // Label changes can drop a pod from a Service it used to belong to.
        if (!sameJson(o.metadata?.labels, n.metadata?.labels)) enqueueForPod(o)
      },
      delete: enqueueForPod,
    })
    endpoints.addHandler({ update: (_o, n) => q.queue.add(keyOf(n)), delete: (e) => q.queue.add(keyOf(e)) })
    await Promise.all([services.start(), pods.start(), endpoints.start()])
    for (const s of services.list()) enqueueSvc(s)
  }

  stop(): void {
    this.q?.stop()
  }

  private async reconcile(
    ctx: ControllerContext,
    key: string,
    services: Informer<ServiceObj>,
    pods: Informer<PodObj>,
    endpoints: Informer<EndpointsObj>,
  ): Promise<void> {
    const { namespace, name } = splitKey(key)
    const svc = services.get(key)
    const cur = endpoints.get(key)
    if (!svc) {
      // The Service is gone: its Endpoints go too (unless something else owns them, like the API server's).
      if (cur && !(namespace === 'default' && name === 'kubernetes')) {
        try {
          await ctx.client.delete(RES.endpoints, namespace, name, { preconditions: { uid: cur.metadata?.uid } })
        } catch (e) {
          if (!isNotFound(e) && !isConflict(e)) throw e
        }
      }
      return
    }
    const sel = svc.spec?.selector
    if (!sel || Object.keys(sel).length === 0) return
    const subsets = buildSubsets(svc, selectedPods(svc, pods.list()))
    const labels: Record<string, string> = { ...(svc.metadata?.labels ?? {}) }
    if (svc.spec?.clusterIP === 'None') labels['service.kubernetes.io/headless'] = ''
    if (cur && sameJson(cur.subsets ?? [], subsets) && sameJson(cur.metadata?.labels ?? {}, labels)) return
    const body: EndpointsObj = { apiVersion: 'v1', kind: 'Endpoints', metadata: { name, namespace, labels }, subsets }
    try {
      if (!cur) await ctx.client.create(RES.endpoints, namespace, body)
      else await ctx.client.update(RES.endpoints, { ...cur, metadata: { ...cur.metadata, labels }, subsets })
    } catch (e) {
      // Someone else wrote meanwhile: the informer event requeues us with the fresh state.
      if (isAlreadyExists(e)) return void (await this.refreshFromServer(ctx, namespace, name, body))
      throw e
    }
  }

  /** Created by someone else before our cache saw it: overwrite with what we computed. */
  private async refreshFromServer(ctx: ControllerContext, namespace: string | undefined, name: string, body: EndpointsObj): Promise<void> {
    const live = await ctx.client.get<EndpointsObj>(RES.endpoints, namespace, name)
    if (live) await ctx.client.update(RES.endpoints, { ...live, metadata: { ...live.metadata, labels: body.metadata?.labels }, subsets: body.subsets })
  }
}
