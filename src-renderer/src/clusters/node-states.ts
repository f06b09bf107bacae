// The cluster card's node line: how many nodes Kubernetes says are Ready (as `kubectl get nodes`
// words them) and which are not, with a stopped machine named at once, not only after the
// node lifecycle controller's grace period has turned it NotReady. Pure: unit-tested in Node.
import type { ClusterNodeInfo } from '@contract'
import type { Tone } from '../format'

export interface NodeStatus {
  name: string
  /** `Ready`, `NotReady`, `SchedulingDisabled`, … as kubectl prints the STATUS column. */
  status: string
}

export interface NodeStates {
  /** e.g. `3/3 Ready`; `—` until the nodes are known. */
  text: string
  tone: Tone
  /** One entry per node that is not simply Ready, e.g. `node-2 NotReady (machine stopped)`. */
  problems: string[]
}

export function nodeStates(k8s: readonly NodeStatus[], machines: readonly ClusterNodeInfo[]): NodeStates {
  const names = [...new Set([...k8s.map((n) => n.name), ...machines.map((m) => m.name)])].sort()
  if (names.length === 0) return { text: '—', tone: 'idle', problems: [] }
  const status = new Map(k8s.map((n) => [n.name, n.status]))
  const machine = new Map(machines.map((m) => [m.name, m.state]))
  let ready = 0
  const problems: string[] = []
  for (const name of names) {
    const s = status.get(name)
    const stopped = machine.get(name) === 'stopped'
    if (s === 'Ready' && !stopped) {
      ready++
      continue
    }
    if (s === 'SchedulingDisabled' && !stopped) {
      // Cordoned: Ready, but takes no new pods (kubectl: Ready,SchedulingDisabled).
      ready++
      problems.push(`${name} Ready,SchedulingDisabled`)
    } else if (s === 'Ready' || s === 'SchedulingDisabled') {
      ready++
      problems.push(`${name} stopped (Kubernetes still says Ready until its heartbeat is older than the grace period)`)
    } else if (s === undefined) problems.push(stopped ? `${name} stopped, not registered` : `${name} not registered yet`)
    else problems.push(stopped ? `${name} ${s} (machine stopped)` : `${name} ${s}`)
  }
  const text = `${ready}/${names.length} Ready`
  const tone: Tone = problems.length === 0 ? 'ok' : ready === 0 ? 'bad' : 'busy'
  return { text, tone, problems }
}
