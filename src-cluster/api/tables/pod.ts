// The pod row: READY, the STATUS reason and RESTARTS computed the way upstream's printPod does,
// so a crash-looping, initializing or terminating pod reads exactly as on a real cluster.

import type { Container, ContainerStatus, Pod, PodCondition } from 'kubernetes-types/core/v1'
import { ageSince, parseTimestamp } from '../age'
import type { KubeObject } from '../object'
import { AGE_COLUMN, NAME_COLUMN, col } from './format'
import type { Printer, RowCells, TableRowCondition } from './types'

const SUCCEEDED: TableRowCondition[] = [{ type: 'Completed', status: 'True', reason: 'Succeeded', message: 'The pod has completed successfully.' }]
const FAILED: TableRowCondition[] = [{ type: 'Completed', status: 'True', reason: 'Failed', message: 'The pod failed.' }]

/** Init containers with restartPolicy Always are sidecars: counted as regular containers. */
const isSidecar = (c: Container | undefined): boolean => c?.restartPolicy === 'Always'

const conditionTrue = (conds: PodCondition[] | undefined, type: string): boolean => (conds ?? []).some((c) => c.type === type && c.status === 'True')

/** Whether the Initialized condition exists and is True (the first one of that type decides). */
function initializedTrue(conds: PodCondition[] | undefined): boolean {
  const c = (conds ?? []).find((x) => x.type === 'Initialized')
  return c?.status === 'True'
}

/** Latest finishedAt among last terminations, tracked as epoch ms (0 = none). */
function lastTerminated(cs: ContainerStatus, current: number): number {
  const t = parseTimestamp(cs.lastState?.terminated?.finishedAt)
  return t !== undefined && t > current ? t : current
}

export interface PodSummary {
  ready: string
  status: string
  restarts: string
}

export function summarizePod(pod: Pod, now: Date): PodSummary {
  const spec = pod.spec ?? { containers: [] }
  const status = pod.status ?? {}
  let restarts = 0
  let sidecarRestarts = 0
  let total = (spec.containers ?? []).length
  let ready = 0
  let lastRestart = 0
  let lastSidecarRestart = 0

  const phase = status.phase ?? ''
  let reason: string = status.reason || phase
  if ((status.conditions ?? []).some((c) => c.type === 'PodScheduled' && c.reason === 'SchedulingGated')) {
    reason = 'SchedulingGated'
  }

  const initSpecs = new Map<string, Container>()
  for (const c of spec.initContainers ?? []) {
    initSpecs.set(c.name, c)
    if (isSidecar(c)) total++
  }

  let initializing = false
  const initStatuses = status.initContainerStatuses ?? []
  for (let i = 0; i < initStatuses.length; i++) {
    const cs = initStatuses[i]!
    restarts += cs.restartCount ?? 0
    lastRestart = lastTerminated(cs, lastRestart)
    const sidecar = isSidecar(initSpecs.get(cs.name))
    if (sidecar) {
      sidecarRestarts += cs.restartCount ?? 0
      lastSidecarRestart = lastTerminated(cs, lastSidecarRestart)
    }
    const term = cs.state?.terminated
    const waiting = cs.state?.waiting
    if (term && term.exitCode === 0) continue
    if (sidecar && cs.started === true) {
      if (cs.ready) ready++
      continue
    }
    // The first init container that has not finished decides the status, then we stop.
    if (term) {
      if (!term.reason) reason = term.signal ? `Init:Signal:${term.signal}` : `Init:ExitCode:${term.exitCode}`
      else reason = `Init:${term.reason}`
    } else if (waiting?.reason && waiting.reason !== 'PodInitializing') {
      reason = `Init:${waiting.reason}`
    } else {
      reason = `Init:${i}/${(spec.initContainers ?? []).length}`
    }
    initializing = true
    break
  }

  if (!initializing || initializedTrue(status.conditions)) {
    restarts = sidecarRestarts
    lastRestart = lastSidecarRestart
    let hasRunning = false
    const statuses = status.containerStatuses ?? []
    // Walk backwards so the first container's state is the one left in `reason`.
    for (let i = statuses.length - 1; i >= 0; i--) {
      const cs = statuses[i]!
      restarts += cs.restartCount ?? 0
      lastRestart = lastTerminated(cs, lastRestart)
      const waiting = cs.state?.waiting
      const term = cs.state?.terminated
      if (waiting?.reason) reason = waiting.reason
      else if (term?.reason) reason = term.reason
      else if (term) reason = term.signal ? `Signal:${term.signal}` : `ExitCode:${term.exitCode}`
      else if (cs.ready && cs.state?.running) {
        hasRunning = true
        ready++
      }
    }
    if (reason === 'Completed' && hasRunning) {
      reason = conditionTrue(status.conditions, 'Ready') ? 'Running' : 'NotReady'
    }
  }

  const deleting = pod.metadata?.deletionTimestamp !== undefined && pod.metadata?.deletionTimestamp !== null
  if (deleting && status.reason === 'NodeLost') reason = 'Unknown'
  else if (deleting && phase !== 'Succeeded' && phase !== 'Failed') reason = 'Terminating'

  let restartsText = String(restarts)
  if (restarts !== 0 && lastRestart !== 0) {
    restartsText = `${restarts} (${ageSince(new Date(lastRestart).toISOString(), now)} ago)`
  }
  return { ready: `${ready}/${total}`, status: reason, restarts: restartsText }
}

function readinessGates(pod: Pod): string {
  const gates = pod.spec?.readinessGates ?? []
  if (gates.length === 0) return '<none>'
  let ok = 0
  for (const g of gates) {
    const c = (pod.status?.conditions ?? []).find((x) => x.type === g.conditionType)
    if (c?.status === 'True') ok++
  }
  return `${ok}/${gates.length}`
}

export const podPrinter: Printer = {
  columns: [
    NAME_COLUMN,
    col('Ready', 'string', 'Ready containers out of all containers in the pod.'),
    col('Status', 'string', 'Summary of the pod and container states.'),
    col('Restarts', 'string', 'Container restarts in the pod, and how long ago the last one was.'),
    AGE_COLUMN,
    col('IP', 'string', 'Primary IP address of the pod.', 1),
    col('Node', 'string', 'Node the pod is bound to.', 1),
    col('Nominated Node', 'string', 'Node the scheduler nominated while preempting other pods.', 1),
    col('Readiness Gates', 'string', 'Readiness gate conditions that are True, out of all gates.', 1),
  ],
  row(obj: KubeObject, now: Date): RowCells {
    const pod = obj as unknown as Pod
    const s = summarizePod(pod, now)
    const ip = pod.status?.podIPs?.[0]?.ip || pod.status?.podIP || '<none>'
    const cells = [
      pod.metadata?.name ?? '',
      s.ready,
      s.status,
      s.restarts,
      ageSince(pod.metadata?.creationTimestamp, now),
      ip,
      pod.spec?.nodeName || '<none>',
      pod.status?.nominatedNodeName || '<none>',
      readinessGates(pod),
    ]
    const phase = pod.status?.phase
    const conditions = phase === 'Succeeded' ? SUCCEEDED : phase === 'Failed' ? FAILED : undefined
    return conditions ? { cells, conditions } : { cells }
  },
}
