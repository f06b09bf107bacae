// Which kubelet serves a pod's logs and streams, and the checks upstream makes before it
// proxies (their messages are what kubectl prints).
import type { Node, Pod, ContainerStatus } from 'kubernetes-types/core/v1'
import type { ServerContext } from '../context'
import { kubeletAddress } from '../metrics/kubelet-client'
import { errors, failure } from '../status'
import { RES } from '../../kit/resources'

export interface KubeletTarget {
  readonly pod: Pod
  readonly container: string
  readonly nodeName: string
  readonly host: string
  readonly port: number
}

export async function getPod(ctx: ServerContext, namespace: string, name: string): Promise<Pod> {
  const cur = await ctx.objects.get(RES.pods, namespace, name)
  if (!cur) throw errors.notFound(RES.pods, name)
  return cur.obj as Pod
}

/** The container a request names, or the only one; upstream's messages otherwise. */
export function pickContainer(pod: Pod, requested: string | null): string {
  const name = pod.metadata?.name ?? ''
  const main = (pod.spec?.containers ?? []).map((c) => c.name)
  const init = (pod.spec?.initContainers ?? []).map((c) => c.name)
  const eph = (pod.spec?.ephemeralContainers ?? []).map((c) => c.name)
  if (!requested) {
    if (main.length === 1) return main[0]!
    let msg = `a container name must be specified for pod ${name}, choose one of: [${main.join(' ')}]`
    if (init.length) msg += ` or one of the init containers: [${init.join(' ')}]`
    if (eph.length) msg += ` or one of the ephemeral containers: [${eph.join(' ')}]`
    throw errors.badRequest(msg)
  }
  if (![...main, ...init, ...eph].includes(requested)) throw errors.badRequest(`container ${requested} is not valid for pod ${name}`)
  return requested
}

export function containerStatus(pod: Pod, container: string): ContainerStatus | undefined {
  const s = pod.status
  return [...(s?.containerStatuses ?? []), ...(s?.initContainerStatuses ?? []), ...(s?.ephemeralContainerStatuses ?? [])].find((c) => c.name === container)
}

/** The kubelet's log checks, answered from the status it reported. */
export function checkLogAvailable(pod: Pod, container: string, previous: boolean): void {
  const podName = pod.metadata?.name ?? ''
  const st = containerStatus(pod, container)
  if (!st) {
    if ((pod.status?.phase ?? 'Pending') === 'Pending')
      throw errors.badRequest(`container "${container}" in pod "${podName}" is waiting to start: ContainerCreating`)
    throw errors.badRequest(`container "${container}" in pod "${podName}" is not available`)
  }
  if (previous) {
    if (!st.lastState?.terminated) throw errors.badRequest(`previous terminated container "${container}" in pod "${podName}" not found`)
    return
  }
  if (st.state?.running || st.state?.terminated) return
  if (st.lastState?.terminated) return
  const reason = st.state?.waiting?.reason ?? 'ContainerCreating'
  if (reason === 'ErrImagePull' || reason === 'ImagePullBackOff')
    throw errors.badRequest(`container "${container}" in pod "${podName}" is waiting to start: image can't be pulled`)
  throw errors.badRequest(`container "${container}" in pod "${podName}" is waiting to start: ${reason}`)
}

/** exec/attach need the container running, as the kubelet finds it in the runtime. */
export function checkContainerRunning(pod: Pod, container: string): void {
  if (!containerStatus(pod, container)?.state?.running) throw failure(404, 'NotFound', `container not found ("${container}")`)
}

/** The node's kubelet address; errors say what is missing. */
export async function kubeletFor(ctx: ServerContext, pod: Pod): Promise<{ nodeName: string; host: string; port: number }> {
  const nodeName = pod.spec?.nodeName
  if (!nodeName) throw errors.badRequest(`pod ${pod.metadata?.name} does not have a host assigned`)
  const node = await ctx.objects.get(RES.nodes, undefined, nodeName)
  if (!node) throw errors.badRequest(`node "${nodeName}" of pod ${pod.metadata?.name} does not exist`)
  const runtime = (node.obj as Node).status?.nodeInfo?.containerRuntimeVersion ?? ''
  if (runtime.startsWith('simulated://')) {
    throw errors.badRequest(
      `pod ${pod.metadata?.name} runs on simulated node ${nodeName}, which runs no containers: there are no logs to read, and nothing to exec into or forward to. Use a cluster with real nodes (kubelab create NAME --provider local) for that.`,
    )
  }
  const addr = kubeletAddress(node.obj as Node)
  if (!addr) throw errors.badRequest(`node ${nodeName} has no InternalIP address or kubelet port in its status: is its kubelet running?`)
  return { nodeName, ...addr }
}
