// What a hollow kubelet reports about its node: the Node object it registers and the status it
// keeps current. Shapes follow the real kubelet so `kubectl describe node` reads naturally.
import { createHash } from 'node:crypto'
import type { NodeCondition, NodeStatus } from 'kubernetes-types/core/v1'
import type { NodeObj } from '../kit/objects'
import { rfc3339 } from '../kit/time'

export const KUBELET_VERSION = 'v1.32.4-kubelab'
export const RUNTIME_VERSION = 'simulated://1.0'
export const CONTROL_PLANE_ROLE = 'node-role.kubernetes.io/control-plane'

export interface NodeShape {
  readonly name: string
  readonly cpu: string
  readonly memory: string
  readonly pods: number
  readonly hostIP: string
  /** The control-plane node: role label and the NoSchedule taint kubeadm puts on it. */
  readonly controlPlane: boolean
  readonly arch: string
}

function stableId(name: string, salt: string): string {
  return createHash('sha256').update(`${salt}:${name}`).digest('hex').slice(0, 32)
}

/**
 * The Node a hollow kubelet registers: labels, taints (control plane only: --register-with-taints)
 * and its status. The control-plane role label is not the kubelet's to set (NodeRestriction).
 */
export function buildNode(shape: NodeShape, now: Date): NodeObj {
  const labels: Record<string, string> = {
    'beta.kubernetes.io/arch': shape.arch,
    'beta.kubernetes.io/os': 'linux',
    'kubernetes.io/arch': shape.arch,
    'kubernetes.io/hostname': shape.name,
    'kubernetes.io/os': 'linux',
    'kubelab.dev/simulated': 'true',
  }
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: shape.name,
      labels,
      annotations: { 'node.alpha.kubernetes.io/ttl': '0', 'kubelab.dev/simulated-node': 'true' },
    },
    spec: shape.controlPlane ? { taints: [{ key: CONTROL_PLANE_ROLE, effect: 'NoSchedule' }] } : {},
    status: nodeStatus(shape, now, undefined),
  }
}

/** Conditions as a healthy kubelet posts them; transition times carried over when unchanged. */
export function nodeConditions(now: Date, previous: readonly NodeCondition[] | undefined): NodeCondition[] {
  const t = rfc3339(now)
  const want: [string, string, string, string][] = [
    ['MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'],
    ['DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'],
    ['PIDPressure', 'False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'],
    ['Ready', 'True', 'KubeletReady', 'kubelet is posting ready status'],
  ]
  return want.map(([type, status, reason, message]) => {
    const old = previous?.find((c) => c.type === type)
    const since = old && old.status === status ? (old.lastTransitionTime ?? t) : t
    return { type, status, reason, message, lastHeartbeatTime: t, lastTransitionTime: since }
  })
}

export function nodeStatus(shape: NodeShape, now: Date, previous: NodeStatus | undefined): NodeStatus {
  const resources = { cpu: shape.cpu, memory: shape.memory, pods: String(shape.pods), 'ephemeral-storage': '100Gi' }
  return {
    capacity: resources,
    allocatable: resources,
    conditions: nodeConditions(now, previous?.conditions),
    addresses: [
      { type: 'InternalIP', address: shape.hostIP },
      { type: 'Hostname', address: shape.name },
    ],
    daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
    nodeInfo: {
      machineID: stableId(shape.name, 'machine'),
      systemUUID: stableId(shape.name, 'system'),
      bootID: stableId(shape.name, 'boot'),
      kernelVersion: 'simulated',
      osImage: 'KubeLab simulated node',
      containerRuntimeVersion: RUNTIME_VERSION,
      kubeletVersion: KUBELET_VERSION,
      kubeProxyVersion: KUBELET_VERSION,
      operatingSystem: 'linux',
      architecture: shape.arch,
    },
    images: previous?.images ?? [],
  }
}

/** True when the stored node no longer shows what this kubelet would post (e.g. marked Unknown). */
export function needsStatusUpdate(stored: NodeObj | undefined): boolean {
  const ready = stored?.status?.conditions?.find((c) => c.type === 'Ready')
  return !ready || ready.status !== 'True'
}
