// Contract for clusters: list, create with live progress, lifecycle, nodes, kubeconfig.
// Free of Node and DOM imports.

/** One cluster as found on disk under `$KUBELAB_HOME/clusters/<name>/cluster.json`. */
export interface ClusterSummary {
  name: string
  /** Absolute path of the cluster's folder. */
  dir: string
  /** VM provider (`multipass`, `virtualbox`, `local`, `simulated`); null when not recorded. */
  provider: string | null
  /** Lifecycle state as last recorded by the cluster manager; `unknown` when not recorded. */
  state: string
  /** Number of nodes (master + workers); null when not recorded. */
  nodeCount: number | null
  /** Control-plane nodes, when there are several (each runs an etcd member and an API server). */
  controlPlanes?: number
  /** Nodes stopped on purpose (`kubelab node stop`, a failure drill); they stay stopped across cluster restarts. */
  stoppedNodes?: string[]
  /** ISO timestamp of creation; null when not recorded. */
  createdAt: string | null
  /** Why cluster.json could not be read, if it could not; the other fields are then defaults. */
  problem: string | null
}

/** A provider as the create wizard offers it. */
export interface ProviderInfo {
  name: string
  /** One line for people: what the nodes are. */
  description: string
  available: boolean
  version: string | null
  /** Why it cannot be used here and what to install or fix. */
  problem: string | null
}

/** What the create wizard asks for. */
export interface CreateClusterParams {
  name: string
  provider: string
  /** Worker nodes besides the control-plane node. */
  workers: number
  /** CPU of each node as a Kubernetes quantity (`2`, `1500m`). */
  cpu: string
  /** Memory of each node as a Kubernetes quantity (`4Gi`, `2048Mi`). */
  memory: string
  /**
   * Control-plane nodes: 1 (default), 3 or 5, each with an API server and a stacked etcd member
   * (providers whose nodes are machines). Several need `store` etcd (the default then).
   */
  controlPlanes?: ControlPlaneCount
  /** Where the API server keeps objects: `embedded` (default for one control plane) or `etcd`. */
  store?: StoreKind
}

/** etcd needs a majority: 3 members survive the loss of one, 5 of two. */
export const CONTROL_PLANE_COUNTS = [1, 3, 5] as const
export type ControlPlaneCount = (typeof CONTROL_PLANE_COUNTS)[number]
export const STORE_KINDS = ['embedded', 'etcd'] as const
export type StoreKind = (typeof STORE_KINDS)[number]

export type CheckStatus = 'pass' | 'warn' | 'fail'

export interface PreflightCheck {
  id: string
  title: string
  status: CheckStatus
  /** What was found, and on warn/fail what to do about it. */
  detail: string
}

export interface PreflightResult {
  /** False when any check failed: creating would not succeed. */
  ok: boolean
  checks: PreflightCheck[]
  /** VM providers: the size preset that fits this machine (the wizard can offer it). */
  preset?: PreflightPreset
}

/** A cluster size that fits the host's memory (PROVIDERS.md §5). */
export interface PreflightPreset {
  id: string
  title: string
  workers: number
  /** Per worker, as Kubernetes quantities. */
  cpu: string
  memory: string
  controlPlaneMemory: string
}

export type OperationKind = 'create' | 'start' | 'stop' | 'delete'
export type OperationState = 'running' | 'succeeded' | 'failed' | 'cancelled'
export type StepState = 'pending' | 'running' | 'done' | 'failed' | 'cancelled'

/** One step of an operation (preflight, machines, control plane, nodes Ready, ...). */
export interface OperationStep {
  id: string
  title: string
  state: StepState
  /** Epoch milliseconds; null until the step starts / ends. */
  startedAt: number | null
  endedAt: number | null
  /** The step's most recent output lines (bounded; the full log is in the cluster folder). */
  lines: string[]
}

/** A long-running action on a cluster, as the UI follows it. */
export interface ClusterOperation {
  id: string
  cluster: string
  kind: OperationKind
  state: OperationState
  startedAt: number
  endedAt: number | null
  steps: OperationStep[]
  /** Why it failed (the message of the failing step). */
  error: string | null
  /** What to try next when it failed, most likely first. */
  hints: string[]
  /** The create request, kept so Retry can run it again. */
  params: CreateClusterParams | null
}

/** One output line of a running operation (sent as it happens; snapshots carry the tail). */
export interface OperationLine {
  operationId: string
  stepId: string
  line: string
}

export interface ClusterNodeInfo {
  name: string
  role: 'control-plane' | 'worker'
  /** What the provider reports now: running, stopped or unknown. */
  state: 'running' | 'stopped' | 'unknown'
}

export interface KubeconfigExport {
  /** Absolute path of the cluster's own kubeconfig file. */
  path: string
  /** Its YAML text (it holds the admin credentials: handle it like a password). */
  content: string
}

export interface KubeconfigMerge {
  /** The kubeconfig file the context was merged into (first of $KUBECONFIG, else ~/.kube/config). */
  path: string
  context: string
}

export interface ClusterName {
  name: string
}

export interface ClusterNodeRef {
  name: string
  node: string
}

export interface OperationRef {
  id: string
}

/** One etcd member of a cluster, as `etcdctl endpoint status --cluster` shows it. */
export interface EtcdMemberInfo {
  /** The member's name: the control-plane node it runs on. */
  name: string
  /** Member id (hex). */
  id: string
  clientUrl: string
  healthy: boolean
  leader: boolean
  dbSizeBytes: number | null
  raftIndex: number | null
  /** Why it is not healthy. */
  error: string | null
}

/** Who holds one leader-election Lease (kube-system/kube-scheduler, kube-controller-manager). */
export interface LeaseHolderInfo {
  name: string
  namespace: string
  /** holderIdentity as the component wrote it (`NODE_uuid`); null when nobody holds it. */
  identity: string | null
  /** The node part of the identity. */
  node: string | null
  renewTime: string | null
  leaseDurationSeconds: number | null
  /** renewTime + duration is in the past: the holder stopped renewing (the others take it once it runs out). */
  expired: boolean
}

/** The control plane of a cluster on etcd: its members and the leader-election Leases. */
export interface ControlPlaneStatus {
  /** Empty when the cluster keeps its objects in the embedded store. */
  members: EtcdMemberInfo[]
  leases: LeaseHolderInfo[]
  /** Why the members or leases could not be read (the rest is still filled in). */
  problem: string | null
}

export interface ClusterRequests {
  'clusters.list': { params: void; result: ClusterSummary[] }
  'clusters.providers': { params: void; result: ProviderInfo[] }
  'clusters.preflight': { params: CreateClusterParams; result: PreflightResult }
  /** Starts creating; progress arrives as `clusters.operation` / `clusters.line` events. */
  'clusters.create': { params: CreateClusterParams; result: ClusterOperation }
  'clusters.start': { params: ClusterName; result: ClusterOperation }
  'clusters.stop': { params: ClusterName; result: ClusterOperation }
  'clusters.delete': { params: ClusterName; result: ClusterOperation }
  /** Operations running now or finished since the backend started (a reloaded UI catches up). */
  'clusters.operations': { params: void; result: ClusterOperation[] }
  /** Stops a running create and removes the half-made cluster. */
  'clusters.cancel': { params: OperationRef; result: ClusterOperation }
  /** Runs a failed or cancelled create again (it resumes where it stopped). */
  'clusters.retry': { params: OperationRef; result: ClusterOperation }
  'clusters.nodes': { params: ClusterName; result: ClusterNodeInfo[] }
  /** Node failure drill: the node stops heartbeating; its pods are evicted after their toleration. */
  'clusters.nodeStop': { params: ClusterNodeRef; result: ClusterNodeInfo[] }
  'clusters.nodeStart': { params: ClusterNodeRef; result: ClusterNodeInfo[] }
  /** etcd members (health, leader, db size) and Lease holders, read through the cluster's API endpoint. */
  'clusters.controlPlane': { params: ClusterName; result: ControlPlaneStatus }
  'clusters.kubeconfig': { params: ClusterName; result: KubeconfigExport }
  'clusters.mergeKubeconfig': { params: ClusterName; result: KubeconfigMerge }
}

export interface ClusterEvents {
  /** A snapshot of an operation whenever its state or a step changes. */
  'clusters.operation': ClusterOperation
  /** One output line of a running operation. */
  'clusters.line': OperationLine
  /** The cluster list after something changed it. */
  'clusters.changed': ClusterSummary[]
}

export const clusterRequestTable = {
  'clusters.list': true,
  'clusters.providers': true,
  'clusters.preflight': true,
  'clusters.create': true,
  'clusters.start': true,
  'clusters.stop': true,
  'clusters.delete': true,
  'clusters.operations': true,
  'clusters.cancel': true,
  'clusters.retry': true,
  'clusters.nodes': true,
  'clusters.nodeStop': true,
  'clusters.nodeStart': true,
  'clusters.controlPlane': true,
  'clusters.kubeconfig': true,
  'clusters.mergeKubeconfig': true,
} as const satisfies Record<keyof ClusterRequests, true>

export const clusterEventTable = {
  'clusters.operation': true,
  'clusters.line': true,
  'clusters.changed': true,
} as const satisfies Record<keyof ClusterEvents, true>

// Quantities the create wizard, the backend and `kubelab create` accept alike.

/** Kubernetes CPU quantity: whole or decimal cores, or millicores (`2`, `0.5`, `1500m`). */
export function parseCpu(quantity: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)(m?)$/.exec(quantity.trim())
  if (!m) return undefined
  const cores = Number(m[1]) / (m[2] ? 1000 : 1)
  return cores > 0 ? cores : undefined
}

const memUnits: Record<string, number> = { '': 1, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, k: 1e3, M: 1e6, G: 1e9, T: 1e12 }

/** Kubernetes memory quantity in bytes (`4Gi`, `512Mi`, `2G`, `1073741824`). */
export function parseMemory(quantity: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|k|M|G|T)?$/.exec(quantity.trim())
  if (!m) return undefined
  const bytes = Number(m[1]) * memUnits[m[2] ?? '']!
  return bytes > 0 ? Math.round(bytes) : undefined
}

/** The most workers a cluster may ask for. */
export const maxWorkers = 5000
