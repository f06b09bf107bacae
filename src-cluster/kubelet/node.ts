// The Node this kubelet registers and the status it posts: capacity from the machine,
// addresses, nodeInfo with the runtime's version, and a Ready condition that follows the
// runtime's own RuntimeReady/NetworkReady conditions.
import { existsSync, readFileSync, statfsSync } from 'node:fs'
import { arch, cpus, hostname, release, totalmem } from 'node:os'
import type { NodeCondition, NodeStatus } from 'kubernetes-types/core/v1'
import type { StatusResponse, VersionResponse } from './cri/types'
import type { NodeObj } from '../kit/objects'
import { rfc3339 } from '../kit/time'

export const KUBELET_VERSION = 'v1.32.4-kubelab'

export interface MachineInfo {
  cpu: number
  memoryBytes: number
  ephemeralBytes: number
  machineID: string
  bootID: string
  kernelVersion: string
  osImage: string
  arch: string
}

const read = (p: string): string => (existsSync(p) ? readFileSync(p, 'utf8').trim() : '')

export function machineInfo(rootDir: string): MachineInfo {
  let ephemeralBytes = 0
  try {
    const s = statfsSync(existsSync(rootDir) ? rootDir : '/')
    ephemeralBytes = s.blocks * s.bsize
  } catch {
    ephemeralBytes = 0
  }
  const osRelease = read('/etc/os-release')
  const pretty = /^PRETTY_NAME="?([^"\n]*)"?/m.exec(osRelease)?.[1] ?? 'Linux'
  const nodeArch = ({ x64: 'amd64', arm64: 'arm64', arm: 'arm' } as Record<string, string>)[arch()] ?? arch()
  return {
    cpu: cpus().length,
    memoryBytes: totalmem(),
    ephemeralBytes,
    machineID: read('/etc/machine-id') || read('/var/lib/dbus/machine-id'),
    bootID: read('/proc/sys/kernel/random/boot_id'),
    kernelVersion: release(),
    osImage: pretty,
    arch: nodeArch,
  }
}

export function defaultNodeName(): string {
  return hostname().toLowerCase()
}

/** Ready unless the runtime reports RuntimeReady or NetworkReady false (or is unreachable). */
export function readyCondition(runtime: StatusResponse | Error): { ok: boolean; message: string } {
  if (runtime instanceof Error) return { ok: false, message: `container runtime is down: ${runtime.message}` }
  const conds = runtime.status?.conditions ?? []
  const bad = conds.filter((c) => (c.type === 'RuntimeReady' || c.type === 'NetworkReady') && !c.status)
  if (!bad.length) return { ok: true, message: 'kubelet is posting ready status' }
  const rt = bad.find((c) => c.type === 'RuntimeReady')
  if (rt)
    return { ok: false, message: `container runtime status check may not have completed yet: RuntimeReady=false reason:${rt.reason} message:${rt.message}` }
  const net = bad[0]!
  return { ok: false, message: `container runtime network not ready: NetworkReady=false reason:${net.reason} message:${net.message}` }
}

export interface NodeStatusInput {
  machine: MachineInfo
  nodeIP: string
  hostname: string
  kubeletPort: number
  version: VersionResponse | undefined
  ready: { ok: boolean; message: string }
  images: { names: string[]; sizeBytes: number }[]
}

export function nodeStatus(input: NodeStatusInput, now: Date, previous: NodeStatus | undefined): NodeStatus {
  const t = rfc3339(now)
  const cond = (type: string, status: string, reason: string, message: string): NodeCondition => {
    const old = previous?.conditions?.find((c) => c.type === type)
    return { type, status, reason, message, lastHeartbeatTime: t, lastTransitionTime: old && old.status === status ? (old.lastTransitionTime ?? t) : t }
  }
  const capacity = {
    cpu: String(input.machine.cpu),
    memory: `${Math.floor(input.machine.memoryBytes / 1024)}Ki`,
    pods: '110',
    'ephemeral-storage': `${Math.floor(input.machine.ephemeralBytes / 1024)}Ki`,
  }
  return {
    capacity,
    allocatable: capacity,
    conditions: [
      cond('MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'),
      cond('DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'),
      cond('PIDPressure', 'False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'),
      input.ready.ok ? cond('Ready', 'True', 'KubeletReady', input.ready.message) : cond('Ready', 'False', 'KubeletNotReady', input.ready.message),
    ],
    addresses: [
      { type: 'InternalIP', address: input.nodeIP },
      { type: 'Hostname', address: input.hostname },
    ],
    daemonEndpoints: { kubeletEndpoint: { Port: input.kubeletPort } },
    nodeInfo: {
      machineID: input.machine.machineID,
      systemUUID: input.machine.machineID,
      bootID: input.machine.bootID,
      kernelVersion: input.machine.kernelVersion,
      osImage: input.machine.osImage,
      containerRuntimeVersion: input.version ? `${input.version.runtimeName}://${input.version.runtimeVersion}` : 'unknown://unknown',
      kubeletVersion: KUBELET_VERSION,
      kubeProxyVersion: KUBELET_VERSION,
      operatingSystem: 'linux',
      architecture: input.machine.arch,
    },
    images: input.images,
  }
}

/** How often an unchanged node status is posted anyway (upstream nodeStatusReportFrequency); the Lease is the heartbeat in between. */
export const NODE_STATUS_REPORT_MS = 5 * 60_000

/** A status with the heartbeat times left out: two of these are equal when nothing but time passed. */
function withoutHeartbeats(s: NodeStatus | undefined, keys: readonly string[]): string {
  const o = (s ?? {}) as Record<string, unknown>
  return JSON.stringify(keys.map((k) => (k === 'conditions' ? (s?.conditions ?? []).map(({ lastHeartbeatTime: _, ...c }) => c) : o[k])))
}

/**
 * Whether the kubelet must post the status it just computed, as upstream decides it: when it
 * differs from the stored one in anything but heartbeat times (including changes others made,
 * e.g. the node controller's Ready=Unknown), when this kubelet has not reported since it
 * started (`lastReportAt` undefined: waiters look for a fresh heartbeat after a restart), or
 * when its last report is NODE_STATUS_REPORT_MS old. Posting unchanged status every 10 s would
 * send every Node watcher (scheduler, proxies, DNS, the app…) an event to decode, for nothing.
 */
export function nodeStatusNeedsPost(
  computed: NodeStatus,
  stored: NodeStatus | undefined,
  now: Date,
  lastReportAt: number | undefined,
  reportMs = NODE_STATUS_REPORT_MS,
): boolean {
  if (lastReportAt === undefined || now.getTime() - lastReportAt >= reportMs) return true
  const keys = Object.keys(computed)
  return withoutHeartbeats(computed, keys) !== withoutHeartbeats(stored, keys)
}

export function nodeObject(
  name: string,
  arch: string,
  status: NodeStatus,
  labels: Record<string, string> = {},
  taints: NonNullable<NodeObj['spec']>['taints'] = [],
): NodeObj {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name,
      labels: {
        'beta.kubernetes.io/arch': arch,
        'beta.kubernetes.io/os': 'linux',
        'kubernetes.io/arch': arch,
        'kubernetes.io/hostname': name,
        'kubernetes.io/os': 'linux',
        ...labels,
      },
      annotations: { 'node.alpha.kubernetes.io/ttl': '0' },
    },
    spec: taints.length ? { taints } : {},
    status,
  }
}
