// Pod status as Kubernetes reports it, computed from what the runtime says about each
// container plus the kubelet's own knowledge (waiting reasons, probe results).
import type { Container, ContainerState as K8sState, ContainerStatus, Pod, PodCondition, PodStatus } from 'kubernetes-types/core/v1'
import type { ContainerStatus as CriStatus } from './cri/types'
import { rfc3339 } from '../kit/time'

export const nsToTime = (ns: number): string => rfc3339(new Date(Math.floor(ns / 1e6)))

export interface ContainerView {
  /** Latest and previous runtime containers of this name (newest first). */
  runs: CriStatus[]
  /** Why it is not running, when the kubelet knows (ErrImagePull, CrashLoopBackOff, ...). */
  waiting?: { reason: string; message?: string }
  ready: boolean
  started: boolean
  /** imageID as the runtime resolved it. */
  imageID?: string
}

function criState(s: CriStatus): K8sState {
  const id = `containerd://${s.id}`
  if (s.state === 'CONTAINER_RUNNING') return { running: { startedAt: nsToTime(s.startedAt) } }
  if (s.state === 'CONTAINER_EXITED') {
    const reason = s.reason || (s.exitCode === 0 ? 'Completed' : 'Error')
    return {
      terminated: {
        exitCode: s.exitCode,
        reason,
        ...(s.message ? { message: s.message } : {}),
        ...(s.startedAt ? { startedAt: nsToTime(s.startedAt) } : {}),
        finishedAt: nsToTime(s.finishedAt || s.createdAt),
        containerID: id,
      },
    }
  }
  return { waiting: { reason: 'ContainerCreating' } }
}

export function containerStatus(container: Container, containerView: ContainerView, defaultWaiting: string): ContainerStatus {
  const [latest, previous] = containerView.runs
  const image = container.image ?? ''
  const base = {
    name: container.name,
    image,
    imageID: containerView.imageID ?? '',
    ready: containerView.ready,
    restartCount: latest?.metadata?.attempt ?? 0,
    started: containerView.started,
  }
  if (!latest)
    return {
      ...base,
      state: {
        waiting: {
          reason: containerView.waiting?.reason ?? defaultWaiting,
          ...(containerView.waiting?.message ? { message: containerView.waiting.message } : {}),
        },
      },
    }
  const current = criState(latest)
  // a container waiting to be restarted shows the wait, with the finished run as lastState
  if (containerView.waiting && latest.state === 'CONTAINER_EXITED') {
    return {
      ...base,
      containerID: `containerd://${latest.id}`,
      state: { waiting: { reason: containerView.waiting.reason, ...(containerView.waiting.message ? { message: containerView.waiting.message } : {}) } },
      lastState: current,
    }
  }
  return { ...base, containerID: `containerd://${latest.id}`, state: current, lastState: previous ? criState(previous) : {} }
}

function condition(type: string, ok: boolean, now: Date, prev: PodStatus | undefined, reason?: string, message?: string): PodCondition {
  const status = ok ? 'True' : 'False'
  const old = prev?.conditions?.find((c) => c.type === type)
  const since = old && old.status === status && old.lastTransitionTime ? old.lastTransitionTime : rfc3339(now)
  return { type, status, lastTransitionTime: since, ...(reason ? { reason } : {}), ...(message ? { message } : {}) }
}

export interface PodView {
  pod: Pod
  hostIP: string
  podIP?: string
  sandboxReady: boolean
  startTime: string
  inits: ContainerStatus[]
  mains: ContainerStatus[]
  initialized: boolean
  /** Set when the kubelet decided the pod is finished. */
  phase?: 'Succeeded' | 'Failed'
  reason?: string
  message?: string
}

export function podPhase(pod: Pod, initialized: boolean, mains: ContainerStatus[], initFailed: boolean): PodStatus['phase'] {
  const policy = pod.spec?.restartPolicy ?? 'Always'
  if (initFailed && policy === 'Never') return 'Failed'
  if (!initialized) return 'Pending'
  const term = mains.map((s) => s.state?.terminated ?? (s.state?.waiting && s.lastState?.terminated ? s.lastState.terminated : undefined))
  const running = mains.filter((s) => s.state?.running).length
  if (running > 0) return 'Running'
  const allTerminated = term.every((t) => t !== undefined)
  if (allTerminated && mains.length) {
    const allOk = term.every((t) => t?.exitCode === 0)
    if (policy === 'Always') return 'Running'
    if (policy === 'OnFailure') return allOk ? 'Succeeded' : 'Running'
    return allOk ? 'Succeeded' : 'Failed'
  }
  // some restarted at least once and now wait: still Running (as upstream shows CrashLoopBackOff pods)
  if (mains.some((s) => s.lastState?.terminated || s.state?.terminated)) return 'Running'
  return 'Pending'
}

const names = (cs: ContainerStatus[]): string => `[${cs.map((c) => c.name).join(' ')}]`

export function buildPodStatus(podView: PodView, now: Date): PodStatus {
  const prev = podView.pod.status
  const phase = podView.phase ?? podPhase(podView.pod, podView.initialized, podView.mains, false)
  const notReady = podView.mains.filter((s) => !s.ready)
  const containersReady = notReady.length === 0 && phase === 'Running'
  const pendingInits = podView.inits.filter((s) => !(s.state?.terminated && s.state.terminated.exitCode === 0))
  const finished = phase === 'Succeeded' || phase === 'Failed'
  const readinessGates = (podView.pod.spec?.readinessGates ?? []).every((g) => prev?.conditions?.find((c) => c.type === g.conditionType)?.status === 'True')
  const ready = containersReady && readinessGates
  const scheduled = prev?.conditions?.find((c) => c.type === 'PodScheduled') ?? condition('PodScheduled', true, now, prev)
  const unready = finished ? (phase === 'Succeeded' ? 'PodCompleted' : 'PodFailed') : 'ContainersNotReady'
  const extraConds = (prev?.conditions ?? []).filter(
    (c) => !['PodScheduled', 'Initialized', 'ContainersReady', 'Ready', 'PodReadyToStartContainers'].includes(c.type),
  )
  const status: PodStatus = {
    phase,
    conditions: [
      condition('PodReadyToStartContainers', podView.sandboxReady && !finished, now, prev),
      condition(
        'Initialized',
        podView.initialized,
        now,
        prev,
        podView.initialized ? undefined : 'ContainersNotInitialized',
        podView.initialized ? undefined : `containers with incomplete status: ${names(pendingInits)}`,
      ),
      condition('Ready', ready, now, prev, ready ? undefined : unready, ready || finished ? undefined : `containers with unready status: ${names(notReady)}`),
      condition(
        'ContainersReady',
        containersReady,
        now,
        prev,
        containersReady ? undefined : unready,
        containersReady || finished ? undefined : `containers with unready status: ${names(notReady)}`,
      ),
      scheduled,
      ...extraConds,
    ],
    hostIP: podView.hostIP,
    hostIPs: [{ ip: podView.hostIP }],
    startTime: podView.startTime,
    containerStatuses: podView.mains,
    ...(podView.inits.length ? { initContainerStatuses: podView.inits } : {}),
    ...(podView.podIP ? { podIP: podView.podIP, podIPs: [{ ip: podView.podIP }] } : {}),
    ...(prev?.qosClass ? { qosClass: prev.qosClass } : {}),
    ...(podView.reason ? { reason: podView.reason } : {}),
    ...(podView.message ? { message: podView.message } : {}),
  }
  return status
}
