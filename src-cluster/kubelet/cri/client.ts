// A gRPC client for the CRI (runtime.v1 RuntimeService + ImageService) over a unix socket.
// Written against our own proto subset (runtime-v1.proto). Every method is one RPC; failures
// become CriError values that name the RPC and carry the gRPC status code.
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import * as grpc from '@grpc/grpc-js'
import * as protoLoader from '@grpc/proto-loader'
import type {
  AttachRequest,
  AuthConfig,
  Container,
  ContainerConfig,
  ContainerFilter,
  ContainerStats,
  ContainerStatsFilter,
  ContainerStatusResponse,
  ExecRequest,
  ExecSyncResponse,
  Image,
  ImageFsInfoResponse,
  PodSandbox,
  PodSandboxConfig,
  PodSandboxFilter,
  PodSandboxStats,
  PodSandboxStatsFilter,
  PodSandboxStatusResponse,
  PortForwardRequest,
  StatusResponse,
  StreamUrl,
  VersionResponse,
} from './types'

export * from './types'

const PROTO_URL = new URL('./runtime-v1.proto', import.meta.url)

/** gRPC status codes the kubelet reacts to. */
export const GrpcCode = { NOT_FOUND: 5, DEADLINE_EXCEEDED: 4, UNAVAILABLE: 14, UNIMPLEMENTED: 12, UNKNOWN: 2 } as const

export class CriError extends Error {
  constructor(
    readonly rpc: string,
    readonly code: number,
    readonly details: string,
  ) {
    super(`CRI ${rpc} failed (gRPC code ${code}): ${details}`)
    this.name = 'CriError'
  }
}

export function isCriNotFound(err: unknown): boolean {
  return err instanceof CriError && (err.code === GrpcCode.NOT_FOUND || /not found/i.test(err.details))
}

type Unary = (req: object, meta: grpc.Metadata, opts: grpc.CallOptions, cb: (err: grpc.ServiceError | null, res: unknown) => void) => void
type ServiceClient = grpc.Client & Record<string, Unary>
type ServiceCtor = new (address: string, creds: grpc.ChannelCredentials, options?: grpc.ChannelOptions) => ServiceClient

let cachedPackage: grpc.GrpcObject | undefined

/** Loads the proto once per process (from the file next to this module). */
function loadPackage(): grpc.GrpcObject {
  if (cachedPackage) return cachedPackage
  let path: string
  try {
    path = fileURLToPath(PROTO_URL)
    readFileSync(path)
  } catch (err) {
    throw new Error(`CRI client: cannot read its proto file ${PROTO_URL.href} (${(err as Error).message}); ship runtime-v1.proto next to the client module`)
  }
  const def = protoLoader.loadSync(path, { keepCase: false, longs: Number, enums: String, defaults: true, oneofs: true })
  cachedPackage = grpc.loadPackageDefinition(def)
  return cachedPackage
}

function serviceCtor(pkg: grpc.GrpcObject, name: string): ServiceCtor {
  const runtime = pkg.runtime as grpc.GrpcObject
  const v1 = runtime.v1 as grpc.GrpcObject
  return v1[name] as unknown as ServiceCtor
}

/** Accepts `unix:///run/x.sock`, `unix:/run/x.sock` or a bare path. */
export function criAddress(socket: string): string {
  if (socket.startsWith('unix://')) return `unix://${socket.slice('unix://'.length).replace(/^\/*/, '/')}`
  if (socket.startsWith('unix:')) return `unix://${socket.slice('unix:'.length).replace(/^\/*/, '/')}`
  return `unix://${socket}`
}

export interface CriClientOptions {
  /** Deadline for ordinary calls (ms). Default 2 minutes, as the kubelet's runtime request timeout. */
  timeoutMs?: number
  /** Told of every RPC as it is made (the kubelet's request tally). */
  onCall?: (rpc: string) => void
}

export class CriClient {
  private readonly runtime: ServiceClient
  private readonly images: ServiceClient
  private readonly timeoutMs: number
  private readonly onCall: ((rpc: string) => void) | undefined

  constructor(
    readonly socketPath: string,
    opts: CriClientOptions = {},
  ) {
    const pkg = loadPackage()
    const address = criAddress(socketPath)
    const channelOptions: grpc.ChannelOptions = {
      'grpc.max_receive_message_length': 32 * 1024 * 1024,
      'grpc.max_send_message_length': 32 * 1024 * 1024,
    }
    const creds = grpc.credentials.createInsecure()
    this.runtime = new (serviceCtor(pkg, 'RuntimeService'))(address, creds, channelOptions)
    // One connection for both services (as the kubelet's one runtime connection).
    this.images = new (serviceCtor(pkg, 'ImageService'))(address, creds, { ...channelOptions, channelOverride: this.runtime.getChannel() })
    this.timeoutMs = opts.timeoutMs ?? 120_000
    this.onCall = opts.onCall
  }

  close(): void {
    // the image client shares the runtime client's channel
    this.runtime.close()
  }

  private call<T>(client: ServiceClient, rpc: string, req: object, timeoutMs = this.timeoutMs): Promise<T> {
    const method = rpc.charAt(0).toLowerCase() + rpc.slice(1)
    const fn = client[method]
    if (typeof fn !== 'function') return Promise.reject(new Error(`CRI client: RPC ${rpc} is not in runtime-v1.proto`))
    this.onCall?.(rpc)
    return new Promise<T>((resolve, reject) => {
      // grpc-js captures the caller's stack for every call (new Error()) to append it to a failed
      // call's error; CriError names the RPC instead, so the capture is skipped.
      const limit = Error.stackTraceLimit
      Error.stackTraceLimit = 0
      try {
        fn.call(client, req, new grpc.Metadata(), { deadline: Date.now() + timeoutMs }, (err, res) => {
          if (err) reject(new CriError(rpc, err.code ?? GrpcCode.UNKNOWN, err.details || err.message))
          else resolve(res as T)
        })
      } finally {
        Error.stackTraceLimit = limit
      }
    })
  }

  // ---- runtime: general

  version(): Promise<VersionResponse> {
    return this.call(this.runtime, 'Version', { version: 'v1' })
  }

  status(verbose = false): Promise<StatusResponse> {
    return this.call(this.runtime, 'Status', { verbose })
  }

  // ---- sandboxes

  async runPodSandbox(config: PodSandboxConfig, runtimeHandler = ''): Promise<string> {
    const res = await this.call<{ podSandboxId: string }>(this.runtime, 'RunPodSandbox', { config, runtimeHandler })
    return res.podSandboxId
  }

  async stopPodSandbox(podSandboxId: string): Promise<void> {
    await this.call(this.runtime, 'StopPodSandbox', { podSandboxId })
  }

  async removePodSandbox(podSandboxId: string): Promise<void> {
    await this.call(this.runtime, 'RemovePodSandbox', { podSandboxId })
  }

  podSandboxStatus(podSandboxId: string, verbose = false): Promise<PodSandboxStatusResponse> {
    return this.call(this.runtime, 'PodSandboxStatus', { podSandboxId, verbose })
  }

  async listPodSandbox(filter?: PodSandboxFilter): Promise<PodSandbox[]> {
    const res = await this.call<{ items: PodSandbox[] }>(this.runtime, 'ListPodSandbox', filter ? { filter } : {})
    return res.items
  }

  // ---- containers

  async createContainer(podSandboxId: string, config: ContainerConfig, sandboxConfig: PodSandboxConfig): Promise<string> {
    const res = await this.call<{ containerId: string }>(this.runtime, 'CreateContainer', { podSandboxId, config, sandboxConfig })
    return res.containerId
  }

  async startContainer(containerId: string): Promise<void> {
    await this.call(this.runtime, 'StartContainer', { containerId })
  }

  /** Stops with SIGTERM, then SIGKILL after timeoutSec (0 = kill at once). */
  async stopContainer(containerId: string, timeoutSec: number): Promise<void> {
    await this.call(this.runtime, 'StopContainer', { containerId, timeout: Math.max(0, Math.floor(timeoutSec)) }, this.timeoutMs + timeoutSec * 1000)
  }

  async removeContainer(containerId: string): Promise<void> {
    await this.call(this.runtime, 'RemoveContainer', { containerId })
  }

  async listContainers(filter?: ContainerFilter): Promise<Container[]> {
    const res = await this.call<{ containers: Container[] }>(this.runtime, 'ListContainers', filter ? { filter } : {})
    return res.containers
  }

  containerStatus(containerId: string, verbose = false): Promise<ContainerStatusResponse> {
    return this.call(this.runtime, 'ContainerStatus', { containerId, verbose })
  }

  // ---- streaming

  /** Runs cmd in the container and collects its output; timeoutSec 0 = no runtime-side limit. */
  execSync(containerId: string, cmd: string[], timeoutSec: number): Promise<ExecSyncResponse> {
    const deadline = timeoutSec > 0 ? timeoutSec * 1000 + 10_000 : 24 * 3600_000
    return this.call(this.runtime, 'ExecSync', { containerId, cmd, timeout: Math.max(0, Math.floor(timeoutSec)) }, deadline)
  }

  exec(req: ExecRequest): Promise<StreamUrl> {
    return this.call(this.runtime, 'Exec', req)
  }

  attach(req: AttachRequest): Promise<StreamUrl> {
    return this.call(this.runtime, 'Attach', req)
  }

  portForward(req: PortForwardRequest): Promise<StreamUrl> {
    return this.call(this.runtime, 'PortForward', req)
  }

  // ---- stats

  async listContainerStats(filter?: ContainerStatsFilter): Promise<ContainerStats[]> {
    const res = await this.call<{ stats: ContainerStats[] }>(this.runtime, 'ListContainerStats', filter ? { filter } : {})
    return res.stats
  }

  /** containerd 1.6 may answer UNIMPLEMENTED; callers fall back to listContainerStats. */
  async listPodSandboxStats(filter?: PodSandboxStatsFilter): Promise<PodSandboxStats[]> {
    const res = await this.call<{ stats: PodSandboxStats[] }>(this.runtime, 'ListPodSandboxStats', filter ? { filter } : {})
    return res.stats
  }

  // ---- images

  /** Pulls from a registry; returns the image reference (id) containerd resolved. */
  async pullImage(image: string, auth?: AuthConfig, sandboxConfig?: PodSandboxConfig): Promise<string> {
    const req: Record<string, unknown> = { image: { image } }
    if (auth) req.auth = auth
    if (sandboxConfig) req.sandboxConfig = sandboxConfig
    const res = await this.call<{ imageRef: string }>(this.images, 'PullImage', req, 10 * 60_000)
    return res.imageRef
  }

  /** The image, or null when the runtime does not have it. */
  async imageStatus(image: string): Promise<Image | null> {
    const res = await this.call<{ image: Image | null }>(this.images, 'ImageStatus', { image: { image } })
    return res.image && res.image.id ? res.image : null
  }

  async listImages(): Promise<Image[]> {
    const res = await this.call<{ images: Image[] }>(this.images, 'ListImages', {})
    return res.images
  }

  async removeImage(image: string): Promise<void> {
    await this.call(this.images, 'RemoveImage', { image: { image } })
  }

  imageFsInfo(): Promise<ImageFsInfoResponse> {
    return this.call(this.images, 'ImageFsInfo', {})
  }
}
