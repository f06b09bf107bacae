// The pod statuses a hollow kubelet posts at each step of a pod's life, as the real kubelet
// shapes them (conditions, container states, reasons), so `kubectl get/describe` look normal.
import { createHash } from 'node:crypto'
import type { Container, ContainerStatus, PodCondition, PodStatus } from 'kubernetes-types/core/v1'
import type { PodObj } from '../kit/objects'
import { rfc3339 } from '../kit/time'

const sha = (s: string): string => createHash('sha256').update(s).digest('hex')

/** Where a pod stands on its node: `init` counts init containers already completed. */
export type PodStage =
  | { readonly kind: 'accepted' }
  | { readonly kind: 'init'; readonly done: number }
  | { readonly kind: 'running' }
  | { readonly kind: 'finished'; readonly exitCode: number }

export interface PodPlacement {
  readonly hostIP: string
  readonly podIP?: string
  /** When the kubelet accepted the pod (status.startTime). */
  readonly startTime: string
  /** When the main containers started (kept across updates). */
  readonly startedAt?: string
}

function condition(type: string, ok: boolean, now: Date, prev: PodStatus | undefined, reason?: string, message?: string): PodCondition {
  const status = ok ? 'True' : 'False'
  const old = prev?.conditions?.find((c) => c.type === type)
  const since = old && old.status === status && old.lastTransitionTime ? old.lastTransitionTime : rfc3339(now)
  return { type, status, lastTransitionTime: since, ...(reason ? { reason } : {}), ...(message ? { message } : {}) }
}

function imageRefs(c: Container): { image: string; imageID: string } {
  const image = c.image ?? 'unknown'
  const ref = image.includes('/') ? image : `docker.io/library/${image}`
  return { image: ref.includes(':') || ref.includes('@') ? ref : `${ref}:latest`, imageID: `${ref.split('@')[0]!.replace(/:[^/]*$/, '')}@sha256:${sha(image)}` }
}

function containerID(pod: PodObj, c: Container, init: boolean): string {
  return `simulated://${sha(`${pod.metadata?.uid}/${init ? 'init/' : ''}${c.name}`).slice(0, 64)}`
}

function waiting(c: Container, reason: string): ContainerStatus {
  return { name: c.name, ...imageRefs(c), ready: false, restartCount: 0, started: false, state: { waiting: { reason } } }
}

function runningState(pod: PodObj, c: Container, init: boolean, startedAt: string): ContainerStatus {
  return {
    name: c.name,
    ...imageRefs(c),
    containerID: containerID(pod, c, init),
    ready: !init,
    restartCount: 0,
    started: true,
    state: { running: { startedAt } },
  }
}

function terminated(pod: PodObj, c: Container, init: boolean, exitCode: number, startedAt: string, finishedAt: string): ContainerStatus {
  return {
    name: c.name,
    ...imageRefs(c),
    containerID: containerID(pod, c, init),
    ready: false,
    restartCount: 0,
    started: false,
    state: { terminated: { exitCode, reason: exitCode === 0 ? 'Completed' : 'Error', startedAt, finishedAt, containerID: containerID(pod, c, init) } },
  }
}

const names = (cs: readonly Container[]): string => `[${cs.map((c) => c.name).join(' ')}]`

/** The status for `stage`, built on the pod's current status (PodScheduled and transition times kept). */
export function podStatusFor(pod: PodObj, stage: PodStage, place: PodPlacement, now: Date): PodStatus {
  const prev = pod.status
  const t = rfc3339(now)
  const inits = pod.spec?.initContainers ?? []
  const mains = pod.spec?.containers ?? []
  const scheduled = prev?.conditions?.find((c) => c.type === 'PodScheduled') ?? condition('PodScheduled', true, now, prev)
  const started = place.startedAt ?? t
  const base: PodStatus = {
    hostIP: place.hostIP,
    hostIPs: [{ ip: place.hostIP }],
    startTime: place.startTime,
    qosClass: prev?.qosClass,
    ...(place.podIP ? { podIP: place.podIP, podIPs: [{ ip: place.podIP }] } : {}),
  }
  if (!base.qosClass) delete base.qosClass
  switch (stage.kind) {
    case 'accepted': {
      const initDone = inits.length === 0
      return {
        ...base,
        phase: 'Pending',
        conditions: [
          condition('PodReadyToStartContainers', false, now, prev),
          condition(
            'Initialized',
            initDone,
            now,
            prev,
            initDone ? undefined : 'ContainersNotInitialized',
            initDone ? undefined : `containers with incomplete status: ${names(inits)}`,
          ),
          condition('Ready', false, now, prev, 'ContainersNotReady', `containers with unready status: ${names(mains)}`),
          condition('ContainersReady', false, now, prev, 'ContainersNotReady', `containers with unready status: ${names(mains)}`),
          scheduled,
        ],
        ...(inits.length ? { initContainerStatuses: inits.map((c) => waiting(c, 'PodInitializing')) } : {}),
        containerStatuses: mains.map((c) => waiting(c, inits.length ? 'PodInitializing' : 'ContainerCreating')),
      }
    }
    case 'init': {
      const pending = inits.slice(stage.done)
      return {
        ...base,
        phase: 'Pending',
        conditions: [
          condition('PodReadyToStartContainers', true, now, prev),
          condition('Initialized', false, now, prev, 'ContainersNotInitialized', `containers with incomplete status: ${names(pending)}`),
          condition('Ready', false, now, prev, 'ContainersNotReady', `containers with unready status: ${names(mains)}`),
          condition('ContainersReady', false, now, prev, 'ContainersNotReady', `containers with unready status: ${names(mains)}`),
          scheduled,
        ],
        initContainerStatuses: inits.map((c, i) =>
          i < stage.done ? terminated(pod, c, true, 0, started, t) : i === stage.done ? runningState(pod, c, true, t) : waiting(c, 'PodInitializing'),
        ),
        containerStatuses: mains.map((c) => waiting(c, 'PodInitializing')),
      }
    }
    case 'running':
      return {
        ...base,
        phase: 'Running',
        conditions: [
          condition('PodReadyToStartContainers', true, now, prev),
          condition('Initialized', true, now, prev),
          condition('Ready', true, now, prev),
          condition('ContainersReady', true, now, prev),
          scheduled,
        ],
        ...(inits.length ? { initContainerStatuses: initsCompleted(pod, prev, started) } : {}),
        containerStatuses: mains.map((c) => runningState(pod, c, false, started)),
      }
    case 'finished': {
      const ok = stage.exitCode === 0
      return {
        ...base,
        phase: ok ? 'Succeeded' : 'Failed',
        conditions: [
          condition('PodReadyToStartContainers', false, now, prev),
          condition('Initialized', true, now, prev),
          condition('Ready', false, now, prev, ok ? 'PodCompleted' : 'PodFailed'),
          condition('ContainersReady', false, now, prev, ok ? 'PodCompleted' : 'PodFailed'),
          scheduled,
        ],
        ...(inits.length ? { initContainerStatuses: initsCompleted(pod, prev, started) } : {}),
        containerStatuses: mains.map((c) => terminated(pod, c, false, stage.exitCode, started, t)),
      }
    }
  }
}

function initsCompleted(pod: PodObj, prev: PodStatus | undefined, startedAt: string): ContainerStatus[] {
  return (pod.spec?.initContainers ?? []).map((c) => {
    const old = prev?.initContainerStatuses?.find((s) => s.name === c.name)
    return old?.state?.terminated ? old : terminated(pod, c, true, 0, startedAt, startedAt)
  })
}

/** The stage a stored pod is in, so a restarted hollow kubelet picks up where it left off. */
export function stageOf(pod: PodObj): PodStage | undefined {
  const st = pod.status
  if (st?.phase === 'Succeeded' || st?.phase === 'Failed') {
    const code = st.containerStatuses?.find((c) => c.state?.terminated)?.state?.terminated?.exitCode ?? (st.phase === 'Succeeded' ? 0 : 1)
    return { kind: 'finished', exitCode: code }
  }
  if (st?.phase === 'Running') return { kind: 'running' }
  if (!st?.hostIP) return undefined
  const inits = st.initContainerStatuses ?? []
  const runningInit = inits.findIndex((c) => c.state?.running)
  if (runningInit >= 0) return { kind: 'init', done: runningInit }
  return { kind: 'accepted' }
}
