// What the Endpoints and EndpointSlice controllers agree on: which pods back a Service, and
// which port a Service port reaches on a given pod (targetPort numbers, or names looked up in
// the pod's container ports).
import { labelSelectorFromObject, matchLabels } from '../../api/selectors'
import type { Pod, Service, ServicePort } from 'kubernetes-types/core/v1'
import { podIsTerminal } from './util'

/** Pods in `pods` selected by the Service's spec.selector (none when it has no selector). */
export function selectedPods<P extends Pod>(svc: Service, pods: readonly P[]): P[] {
  const sel = svc.spec?.selector
  if (!sel || Object.keys(sel).length === 0) return []
  const selector = labelSelectorFromObject({ matchLabels: sel })
  const ns = svc.metadata?.namespace
  return pods.filter((p) => p.metadata?.namespace === ns && matchLabels(selector, p.metadata?.labels))
}

/** Whether the Service selects this pod's labels. */
export function serviceSelects(svc: Service, pod: Pod): boolean {
  const sel = svc.spec?.selector
  if (!sel || Object.keys(sel).length === 0) return false
  if (svc.metadata?.namespace !== pod.metadata?.namespace) return false
  return matchLabels(labelSelectorFromObject({ matchLabels: sel }), pod.metadata?.labels)
}

/**
 * The container port a Service port reaches on this pod, or undefined when a named targetPort
 * is not declared by any of the pod's containers (that port is then left out for this pod, as
 * upstream does).
 */
export function resolvePort(svcPort: ServicePort, pod: Pod): number | undefined {
  const target = svcPort.targetPort ?? svcPort.port
  if (typeof target === 'number') return target
  if (/^\d+$/.test(target)) return Number(target)
  const proto = svcPort.protocol ?? 'TCP'
  for (const c of pod.spec?.containers ?? []) {
    for (const p of c.ports ?? []) {
      if (p.name === target && (p.protocol ?? 'TCP') === proto) return p.containerPort
    }
  }
  return undefined
}

/** Pods that can have an address at all: an IP, on a node, not finished. */
export function hasAddress(pod: Pod): boolean {
  return !!pod.status?.podIP && !!pod.spec?.nodeName && !podIsTerminal(pod)
}

/** DNS hostname for a pod behind a headless service (spec.hostname + matching subdomain). */
export function podHostname(svc: Service, pod: Pod): string | undefined {
  return pod.spec?.hostname && pod.spec.subdomain === svc.metadata?.name ? pod.spec.hostname : undefined
}
