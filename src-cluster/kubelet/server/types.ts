// What the kubelet's streaming server needs from the rest of the kubelet. The kubelet glue
// maps namespace/pod/container to CRI ids and asks containerd (CriClient.exec/attach/
// portForward) for a streaming URL; this server then speaks to that URL itself.
import type { KubeletResourceSummary } from '../../kit/kubelet-summary'

export interface ContainerRef {
  readonly namespace: string
  readonly pod: string
  /** Pod UID when the caller named one (upstream's /exec/{ns}/{pod}/{uid}/{container} form). */
  readonly uid?: string
  readonly container: string
}

export interface PodRef {
  readonly namespace: string
  readonly pod: string
  readonly uid?: string
}

export interface StreamOptions {
  readonly stdin: boolean
  readonly stdout: boolean
  readonly stderr: boolean
  readonly tty: boolean
}

/** A URL of the runtime's streaming server (containerd: http://127.0.0.1:PORT/exec/TOKEN). */
export interface StreamingUrl {
  readonly url: string
}

export interface KubeletRuntime {
  /** CRI Exec for the container's id, with the same stdin/stdout/stderr/tty flags. */
  exec(ref: ContainerRef, command: readonly string[], opts: StreamOptions): Promise<StreamingUrl>
  /** CRI Attach. */
  attach(ref: ContainerRef, opts: StreamOptions): Promise<StreamingUrl>
  /** CRI PortForward for the pod's sandbox id. */
  portForward(ref: PodRef, ports: readonly number[]): Promise<StreamingUrl>
  /**
   * The CRI log file of the container (its current instance, or with `previous` the last
   * terminated one). Throw a KubeletError when there is none.
   */
  logPath(ref: ContainerRef, previous: boolean): Promise<string>
  /** Whether the container instance is still running: `logs -f` ends once it is not. */
  containerRunning(ref: ContainerRef): Promise<boolean>
}

/** A caller as the client certificate names it. */
export interface KubeletUser {
  readonly name: string
  readonly groups: readonly string[]
}

export interface KubeletServerOptions {
  /** 0 picks a free port. */
  readonly port: number
  readonly host?: string
  readonly tls: { readonly certPem: string; readonly keyPem: string; readonly caPem: string }
  /** Whether an authenticated caller may use the server (default: the API server's identity and system:masters). */
  readonly authorize?: (user: KubeletUser) => boolean
  readonly runtime: KubeletRuntime
  /** The node's usage summary for /metrics/resource/summary. */
  readonly statsSummary?: (node: string) => Promise<KubeletResourceSummary>
  readonly log?: (line: string) => void
  /** How often `logs -f` checks the file when no change notification arrives (ms, default 250). */
  readonly followPollMs?: number
}

export interface KubeletServer {
  readonly port: number
  close(): Promise<void>
}

/** An error with the HTTP code and reason the kubelet answers (and the API server passes on). */
export class KubeletError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
  ) {
    super(message)
    this.name = 'KubeletError'
  }
}

export const kubeletErrors = {
  badRequest: (message: string) => new KubeletError(400, 'BadRequest', message),
  notFound: (message: string) => new KubeletError(404, 'NotFound', message),
  forbidden: (message: string) => new KubeletError(403, 'Forbidden', message),
  internal: (message: string) => new KubeletError(500, 'InternalError', message),
}
