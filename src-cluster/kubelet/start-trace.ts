// Where a pod's first start spends its time, as upstream's pod startup latency tracker logs it
// ("Observed pod startup duration"): from the moment the kubelet's watch delivers the pod to
// the moment the status saying Running is written, each step's time summed, and the rest —
// the kubelet's own code and its waits (event loop, queue) — as `kubelet`. Timed on the host's
// clock, not the kubelet's Clock: these measure the real runtime and API server.
import { performance } from 'node:perf_hooks'

/** The steps a start is split into, in the order they happen. */
export const START_STEPS = [
  /** Watch event → the worker's first sync begins (the kubelet's queue and event loop). */
  'queue',
  /** ListPodSandbox: is there a sandbox of an earlier kubelet run to adopt? */
  'listSandbox',
  /** Waiting for one of the kubelet's sandbox slots (RunPodSandbox calls in flight are bounded). */
  'sandboxSlot',
  /** RunPodSandbox: containerd makes the netns, runs CNI ADD (bridge, host-local), starts pause. */
  'runSandbox',
  /** PodSandboxStatus after the sandbox started (the pod IP). */
  'sandboxStatus',
  /** Volumes: directories, ConfigMaps/Secrets read and the service-account token requested from the API server. */
  'volumes',
  /** ListContainers + ContainerStatus of the sandbox's containers. */
  'listContainers',
  /** ImageStatus (the image is present: the bench's pods never pull). */
  'image',
  /** CreateContainer (containerd: snapshot, OCI spec). */
  'createContainer',
  /** StartContainer (containerd: shim, runc create + start). */
  'startContainer',
  /** The status write (merge PATCH of pods/status) until the API server answered. */
  'statusPatch',
] as const

export type StartStep = (typeof START_STEPS)[number]

/** Steps that are another program's time (containerd, runc, CNI; the API server). */
export const RUNTIME_STEPS: readonly StartStep[] = [
  'listSandbox',
  'runSandbox',
  'sandboxStatus',
  'listContainers',
  'image',
  'createContainer',
  'startContainer',
]

export const now = (): number => performance.timeOrigin + performance.now()

export class StartTrace {
  private readonly ms = new Map<StartStep, number>()
  private done = false

  /** seenAt: when the watch delivered the pod (ms since the epoch). */
  constructor(readonly seenAt: number = now()) {}

  get finished(): boolean {
    return this.done
  }

  add(step: StartStep, ms: number): void {
    if (!this.done) this.ms.set(step, (this.ms.get(step) ?? 0) + ms)
  }

  /** Runs fn and adds its time to step (also when it fails). */
  async time<T>(step: StartStep, fn: () => Promise<T>): Promise<T> {
    if (this.done) return fn()
    const t0 = now()
    try {
      return await fn()
    } finally {
      this.add(step, now() - t0)
    }
  }

  /**
   * The Running status was written: the line upstream logs as "Observed pod startup duration",
   * with each step's ms and `kubelet` for what is left (our code, its waits for the event loop).
   */
  finish(pod: string): string {
    this.done = true
    const total = now() - this.seenAt
    const steps = START_STEPS.map((s) => [s, this.ms.get(s) ?? 0] as const)
    const other = total - steps.reduce((a, [, v]) => a + v, 0)
    const fields = [...steps, ['kubelet', other] as const].map(([k, v]) => `${k}=${Math.round(v)}`).join(' ')
    return `kubelet: observed pod startup duration pod=${pod} seenAt=${Math.round(this.seenAt)} total=${Math.round(total)} ${fields}`
  }
}
