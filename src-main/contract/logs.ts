// Contract for pod and control-plane logs (owned by the RESOURCES engineer). A log is a stream:
// `logs.open` starts it and answers its id; text arrives as `logs.data` events and the stream
// ends with one `logs.end` (carrying the API server's answer when it refused). Free of Node and
// DOM imports.

export type LogTarget =
  /** One container of a pod (the first container when `container` is null). */
  | { kind: 'pod'; namespace: string; name: string; container: string | null }
  /** Every pod a workload's selector matches, each line prefixed with its pod name. */
  | { kind: 'workload'; type: string; namespace: string; name: string }
  /** A control-plane component's log file from the cluster's `logs/` folder. */
  | { kind: 'component'; file: string }

export interface LogOpenParams {
  cluster: string
  target: LogTarget
  /** Keep the stream open and send new lines as they come. */
  follow: boolean
  /** Ask the server to prefix each line with its RFC 3339 time. Pod logs only. */
  timestamps: boolean
  /** The previous (crashed/restarted) container instance. Pod logs only. */
  previous: boolean
  /** Lines from the end to start with; null for everything. */
  tailLines: number | null
}

export interface LogStreamInfo {
  streamId: string
  /** What is being read, e.g. `default/web-1 (app)` or `control-plane.log`. */
  title: string
  /** Pods a workload target matched (empty for the other targets). */
  pods: string[]
}

export interface LogData {
  streamId: string
  /** Whole lines, newline-terminated; a source's partial last line waits for the rest. */
  text: string
}

export interface LogEnd {
  streamId: string
  /** Why the stream ended other than normally: the server's answer, as a person should read it. */
  error: { code: string; message: string } | null
}

export interface ComponentLogFile {
  file: string
  size: number
  modifiedAt: string
}

export interface LogRequests {
  'logs.open': { params: LogOpenParams; result: LogStreamInfo }
  'logs.close': { params: { streamId: string }; result: void }
  'logs.components': { params: { cluster: string }; result: ComponentLogFile[] }
}

export interface LogEvents {
  'logs.data': LogData
  'logs.end': LogEnd
}

export const logRequestTable = {
  'logs.open': true,
  'logs.close': true,
  'logs.components': true,
} as const satisfies Record<keyof LogRequests, true>

export const logEventTable = {
  'logs.data': true,
  'logs.end': true,
} as const satisfies Record<keyof LogEvents, true>
