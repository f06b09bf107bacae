// TypeScript shapes of the CRI messages in runtime-v1.proto, as @grpc/proto-loader hands them
// over with our options: camelCase field names, int64 as number, enums as their names, and
// every scalar present (defaults: true). Request-side fields are optional: unset means the
// proto default.

export type StringMap = Record<string, string>

export interface Int64Value {
  value: number
}
export interface UInt64Value {
  value: number
}
export interface KeyValue {
  key: string
  value: string
}

export type Protocol = 'TCP' | 'UDP' | 'SCTP'
export type NamespaceMode = 'POD' | 'CONTAINER' | 'NODE' | 'TARGET'
export type PodSandboxState = 'SANDBOX_READY' | 'SANDBOX_NOTREADY'
export type ContainerState = 'CONTAINER_CREATED' | 'CONTAINER_RUNNING' | 'CONTAINER_EXITED' | 'CONTAINER_UNKNOWN'
export type MountPropagation = 'PROPAGATION_PRIVATE' | 'PROPAGATION_HOST_TO_CONTAINER' | 'PROPAGATION_BIDIRECTIONAL'

export interface VersionResponse {
  version: string
  runtimeName: string
  runtimeVersion: string
  runtimeApiVersion: string
}
export interface RuntimeCondition {
  type: string
  status: boolean
  reason: string
  message: string
}
export interface StatusResponse {
  status: { conditions: RuntimeCondition[] } | null
  info: StringMap
}

export interface NamespaceOption {
  network?: NamespaceMode
  pid?: NamespaceMode
  ipc?: NamespaceMode
  targetId?: string
}
export interface SecurityProfile {
  profileType?: 'RuntimeDefault' | 'Unconfined' | 'Localhost'
  localhostRef?: string
}
export interface ImageSpec {
  image: string
  annotations?: StringMap
  userSpecifiedImage?: string
}

export interface DNSConfig {
  servers?: string[]
  searches?: string[]
  options?: string[]
}
export interface PortMapping {
  protocol?: Protocol
  containerPort?: number
  hostPort?: number
  hostIp?: string
}

export interface LinuxContainerResources {
  cpuPeriod?: number
  cpuQuota?: number
  cpuShares?: number
  memoryLimitInBytes?: number
  oomScoreAdj?: number
  cpusetCpus?: string
  cpusetMems?: string
  unified?: StringMap
  memorySwapLimitInBytes?: number
}

export interface LinuxSandboxSecurityContext {
  namespaceOptions?: NamespaceOption
  runAsUser?: Int64Value
  runAsGroup?: Int64Value
  readonlyRootfs?: boolean
  supplementalGroups?: number[]
  privileged?: boolean
  seccomp?: SecurityProfile
  apparmor?: SecurityProfile
}

export interface PodSandboxMetadata {
  name: string
  uid: string
  namespace: string
  attempt?: number
}

export interface PodSandboxConfig {
  metadata: PodSandboxMetadata
  hostname?: string
  logDirectory?: string
  dnsConfig?: DNSConfig
  portMappings?: PortMapping[]
  labels?: StringMap
  annotations?: StringMap
  linux?: {
    cgroupParent?: string
    securityContext?: LinuxSandboxSecurityContext
    sysctls?: StringMap
    overhead?: LinuxContainerResources
    resources?: LinuxContainerResources
  }
}

export interface PodSandboxStatus {
  id: string
  metadata: PodSandboxMetadata | null
  state: PodSandboxState
  createdAt: number
  network: { ip: string; additionalIps: { ip: string }[] } | null
  labels: StringMap
  annotations: StringMap
  runtimeHandler: string
}
export interface PodSandboxStatusResponse {
  status: PodSandboxStatus | null
  info: StringMap
}

export interface PodSandboxFilter {
  id?: string
  state?: { state: PodSandboxState }
  labelSelector?: StringMap
}
export interface PodSandbox {
  id: string
  metadata: PodSandboxMetadata | null
  state: PodSandboxState
  createdAt: number
  labels: StringMap
  annotations: StringMap
  runtimeHandler: string
}

export interface Capability {
  addCapabilities?: string[]
  dropCapabilities?: string[]
  addAmbientCapabilities?: string[]
}
export interface LinuxContainerSecurityContext {
  capabilities?: Capability
  privileged?: boolean
  namespaceOptions?: NamespaceOption
  runAsUser?: Int64Value
  runAsGroup?: Int64Value
  runAsUsername?: string
  readonlyRootfs?: boolean
  supplementalGroups?: number[]
  noNewPrivs?: boolean
  maskedPaths?: string[]
  readonlyPaths?: string[]
  seccomp?: SecurityProfile
  apparmor?: SecurityProfile
}

export interface Mount {
  containerPath: string
  hostPath: string
  readonly?: boolean
  selinuxRelabel?: boolean
  propagation?: MountPropagation
}
export interface Device {
  containerPath: string
  hostPath: string
  permissions?: string
}
export interface ContainerMetadata {
  name: string
  attempt?: number
}

export interface ContainerConfig {
  metadata: ContainerMetadata
  image: ImageSpec
  command?: string[]
  args?: string[]
  workingDir?: string
  envs?: KeyValue[]
  mounts?: Mount[]
  devices?: Device[]
  labels?: StringMap
  annotations?: StringMap
  logPath?: string
  stdin?: boolean
  stdinOnce?: boolean
  tty?: boolean
  linux?: { resources?: LinuxContainerResources; securityContext?: LinuxContainerSecurityContext }
}

export interface ContainerFilter {
  id?: string
  state?: { state: ContainerState }
  podSandboxId?: string
  labelSelector?: StringMap
}
export interface Container {
  id: string
  podSandboxId: string
  metadata: ContainerMetadata | null
  image: ImageSpec | null
  imageRef: string
  state: ContainerState
  createdAt: number
  labels: StringMap
  annotations: StringMap
}

export interface ContainerStatus {
  id: string
  metadata: ContainerMetadata | null
  state: ContainerState
  /** Nanoseconds since the epoch (0 = not set). */
  createdAt: number
  startedAt: number
  finishedAt: number
  exitCode: number
  image: ImageSpec | null
  imageRef: string
  reason: string
  message: string
  labels: StringMap
  annotations: StringMap
  mounts: Mount[]
  logPath: string
  resources: { linux: LinuxContainerResources | null } | null
}
export interface ContainerStatusResponse {
  status: ContainerStatus | null
  info: StringMap
}

export interface ExecSyncResponse {
  stdout: Buffer
  stderr: Buffer
  exitCode: number
}
export interface ExecRequest {
  containerId: string
  cmd: string[]
  tty?: boolean
  stdin?: boolean
  stdout?: boolean
  stderr?: boolean
}
export interface AttachRequest {
  containerId: string
  stdin?: boolean
  tty?: boolean
  stdout?: boolean
  stderr?: boolean
}
export interface PortForwardRequest {
  podSandboxId: string
  port?: number[]
}
export interface StreamUrl {
  url: string
}

export interface FilesystemUsage {
  timestamp: number
  fsId: { mountpoint: string } | null
  usedBytes: UInt64Value | null
  inodesUsed: UInt64Value | null
}
export interface CpuUsage {
  timestamp: number
  usageCoreNanoSeconds: UInt64Value | null
  usageNanoCores: UInt64Value | null
}
export interface MemoryUsage {
  timestamp: number
  workingSetBytes: UInt64Value | null
  availableBytes: UInt64Value | null
  usageBytes: UInt64Value | null
  rssBytes: UInt64Value | null
  pageFaults: UInt64Value | null
  majorPageFaults: UInt64Value | null
}
export interface ContainerAttributes {
  id: string
  metadata: ContainerMetadata | null
  labels: StringMap
  annotations: StringMap
}
export interface ContainerStats {
  attributes: ContainerAttributes | null
  cpu: CpuUsage | null
  memory: MemoryUsage | null
  writableLayer: FilesystemUsage | null
}
export interface ContainerStatsFilter {
  id?: string
  podSandboxId?: string
  labelSelector?: StringMap
}

export interface PodSandboxStats {
  attributes: { id: string; metadata: PodSandboxMetadata | null; labels: StringMap; annotations: StringMap } | null
  linux: { cpu: CpuUsage | null; memory: MemoryUsage | null; containers: ContainerStats[] } | null
}
export interface PodSandboxStatsFilter {
  id?: string
  labelSelector?: StringMap
}

export interface Image {
  id: string
  repoTags: string[]
  repoDigests: string[]
  size: number
  uid: Int64Value | null
  username: string
  spec: ImageSpec | null
  pinned: boolean
}
export interface AuthConfig {
  username?: string
  password?: string
  auth?: string
  serverAddress?: string
  identityToken?: string
  registryToken?: string
}
export interface ImageFsInfoResponse {
  imageFilesystems: FilesystemUsage[]
  containerFilesystems: FilesystemUsage[]
}
