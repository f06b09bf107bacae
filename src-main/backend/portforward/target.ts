// Which pod and pod port a forward goes to. A pod is taken as named; a Service's port is mapped
// to its target port (a number, or a container port name looked up in the pod) on one ready pod
// that the Service selects, as kubectl does for `port-forward svc/NAME`.
import type { Pod, Service } from 'kubernetes-types/core/v1'
import { ApiClientError, resourceRef, type Client } from '../../../src-cluster/client'
import type { PortForwardKind } from '../../contract'
import { CodedError } from '../../contract/errors'

const PODS = resourceRef('v1', 'pods')
const SERVICES = resourceRef('v1', 'services')

export interface ForwardTarget {
  pod: string
  podPort: number
}

function isReady(p: Pod): boolean {
  if (p.metadata?.deletionTimestamp) return false
  if (p.status?.phase !== 'Running') return false
  return (p.status.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True')
}

/** The ready pod to use: the oldest one (stable across calls), ties broken by name. */
export function pickReadyPod(pods: readonly Pod[]): Pod | undefined {
  return pods
    .filter(isReady)
    .sort(
      (a, b) =>
        String(a.metadata?.creationTimestamp ?? '').localeCompare(String(b.metadata?.creationTimestamp ?? '')) ||
        String(a.metadata?.name).localeCompare(String(b.metadata?.name)),
    )[0]
}

/** A Service port's target port on a given pod. */
export function targetPortOn(svc: Service, port: number, pod: Pod): number {
  const name = svc.metadata?.name ?? '?'
  const sp = (svc.spec?.ports ?? []).find((p) => p.port === port)
  if (!sp) {
    const ports = (svc.spec?.ports ?? []).map((p) => p.port).join(', ') || 'none'
    throw new CodedError('not_found', `service ${name} has no port ${port}; its ports: ${ports}`)
  }
  const tp = sp.targetPort ?? sp.port
  if (typeof tp === 'number') return tp
  if (/^\d+$/.test(tp)) return Number(tp)
  for (const c of pod.spec?.containers ?? []) {
    const cp = (c.ports ?? []).find((p) => p.name === tp && (p.protocol ?? 'TCP') === 'TCP')
    if (cp) return cp.containerPort
  }
  throw new CodedError('not_found', `service ${name} targets the port named ${tp}, which no container of pod ${pod.metadata?.name} declares`)
}

function labelSelector(sel: Record<string, string>): string {
  return Object.entries(sel)
    .map(([k, v]) => `${k}=${v}`)
    .join(',')
}

async function get<T>(client: Client, ref: typeof PODS, namespace: string, name: string, what: string): Promise<T> {
  let obj: unknown
  try {
    obj = await client.get(ref, namespace, name)
  } catch (e) {
    if (e instanceof ApiClientError) throw new CodedError(e.code === 0 ? 'unreachable' : 'api_error', `reading ${what} ${namespace}/${name}: ${e.message}`)
    throw e
  }
  if (!obj) throw new CodedError('not_found', `no ${what} ${name} in namespace ${namespace}`)
  return obj as T
}

export async function resolveTarget(client: Client, namespace: string, kind: PortForwardKind, name: string, port: number): Promise<ForwardTarget> {
  if (kind === 'pod') {
    const pod = await get<Pod>(client, PODS, namespace, name, 'pod')
    if (pod.status?.phase !== 'Running')
      throw new CodedError(
        'pod_not_running',
        `pod ${namespace}/${name} is not running (phase ${pod.status?.phase ?? 'Pending'}): wait until it runs, then forward`,
      )
    return { pod: name, podPort: port }
  }
  const svc = await get<Service>(client, SERVICES, namespace, name, 'service')
  const sel = svc.spec?.selector ?? {}
  if (Object.keys(sel).length === 0)
    throw new CodedError('no_ready_pod', `service ${namespace}/${name} has no selector, so no pod to forward to: forward to a pod instead`)
  // Check the port before listing pods, so a wrong port is reported as such.
  if (!(svc.spec?.ports ?? []).some((p) => p.port === port)) targetPortOn(svc, port, {})
  const list = await client.list(PODS, { namespace, labelSelector: labelSelector(sel) })
  const pod = pickReadyPod(list.items as Pod[])
  if (!pod?.metadata?.name)
    throw new CodedError(
      'no_ready_pod',
      `service ${namespace}/${name} selects ${list.items.length} pod(s), none of them ready: wait for a ready pod (kubectl get pods -l ${labelSelector(sel)})`,
    )
  return { pod: pod.metadata.name, podPort: targetPortOn(svc, port, pod) }
}
