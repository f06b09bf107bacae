// The kubelet's streaming server asks "which CRI container is namespace/pod/container?" and
// "give me a streaming URL for it": this answers from containerd through the CRI, using the
// labels the kubelet puts on every sandbox and container.
import type { CriClient } from './cri/client'
import type { Container } from './cri/types'
import { KubeletError, type ContainerRef, type KubeletRuntime, type PodRef, type StreamOptions, type StreamingUrl } from './server/types'
import { LABEL_CONTAINER_NAME, LABEL_POD_NAME, LABEL_POD_NAMESPACE, LABEL_POD_UID } from './spec'

function podLabels(ref: PodRef): Record<string, string> {
  const labels: Record<string, string> = { [LABEL_POD_NAME]: ref.pod, [LABEL_POD_NAMESPACE]: ref.namespace }
  if (ref.uid) labels[LABEL_POD_UID] = ref.uid
  return labels
}

/** Instances of one container, newest first (restarts create new instances). */
async function instances(cri: CriClient, ref: ContainerRef): Promise<Container[]> {
  const list = await cri.listContainers({ labelSelector: { ...podLabels(ref), [LABEL_CONTAINER_NAME]: ref.container } })
  return list.sort((a, b) => (b.metadata?.attempt ?? 0) - (a.metadata?.attempt ?? 0) || b.createdAt - a.createdAt)
}

function notFound(ref: ContainerRef): KubeletError {
  return new KubeletError(404, 'NotFound', `container "${ref.container}" of pod ${ref.namespace}/${ref.pod} is not on this node`)
}

async function running(cri: CriClient, ref: ContainerRef): Promise<Container> {
  const all = await instances(cri, ref)
  const c = all.find((x) => x.state === 'CONTAINER_RUNNING')
  if (c) return c
  if (all.length === 0) throw notFound(ref)
  throw new KubeletError(400, 'BadRequest', `container "${ref.container}" in pod "${ref.pod}" is not running`)
}

export function criStreamingRuntime(cri: CriClient): KubeletRuntime {
  return {
    async exec(ref: ContainerRef, command: readonly string[], o: StreamOptions): Promise<StreamingUrl> {
      const c = await running(cri, ref)
      return cri.exec({ containerId: c.id, cmd: [...command], tty: o.tty, stdin: o.stdin, stdout: o.stdout, stderr: o.stderr && !o.tty })
    },
    async attach(ref: ContainerRef, o: StreamOptions): Promise<StreamingUrl> {
      const c = await running(cri, ref)
      return cri.attach({ containerId: c.id, stdin: o.stdin, tty: o.tty, stdout: o.stdout, stderr: o.stderr && !o.tty })
    },
    async portForward(ref: PodRef, ports: readonly number[]): Promise<StreamingUrl> {
      const sandboxes = await cri.listPodSandbox({ labelSelector: podLabels(ref), state: { state: 'SANDBOX_READY' } })
      const sb = sandboxes.sort((a, b) => b.createdAt - a.createdAt)[0]
      if (!sb) throw new KubeletError(404, 'NotFound', `pod ${ref.namespace}/${ref.pod} has no running sandbox on this node`)
      return cri.portForward({ podSandboxId: sb.id, port: [...ports] })
    },
    async logPath(ref: ContainerRef, previous: boolean): Promise<string> {
      const all = await instances(cri, ref)
      if (all.length === 0) throw notFound(ref)
      const c = previous ? all[1] : all[0]
      if (!c) throw new KubeletError(400, 'BadRequest', `previous terminated container "${ref.container}" in pod "${ref.pod}" not found`)
      const st = (await cri.containerStatus(c.id)).status
      if (!st?.logPath) throw new KubeletError(404, 'NotFound', `container "${ref.container}" in pod "${ref.pod}" has no log file`)
      return st.logPath
    },
    async containerRunning(ref: ContainerRef): Promise<boolean> {
      const [c] = await instances(cri, ref)
      return c?.state === 'CONTAINER_RUNNING'
    },
  }
}
