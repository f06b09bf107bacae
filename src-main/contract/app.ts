// App-wide contract pieces: errors as values, app info. Free of Node and DOM imports (bundled
// into main, the sandboxed preload and the renderer).

/**
 * Every code an RpcError carries. Stable and machine-readable: the renderer branches on them,
 * so a new one is added here first.
 */
export type ErrorCode =
  | 'bad_params'
  | 'unknown_request'
  | 'internal'
  | 'not_found'
  | 'busy'
  | 'not_cancellable'
  | 'forbidden'
  | 'closed'
  | 'unreachable'
  | 'cluster_not_found'
  | 'cluster_not_running'
  | 'not_running'
  | 'ssh_unavailable'
  | 'port_in_use'
  | 'no_ready_pod'
  | 'pod_not_running'
  | 'portforward_refused'
  | 'needs_not_met'
  | 'lab_not_started'
  | 'lab_not_found'
  | 'lab_busy'
  | `lab_${'start' | 'reset' | 'check' | 'hint' | 'solution' | 'session'}_failed`
  | 'api_error'
  | 'exec_unavailable'
  // Raised by the renderer's WebSocket bridge itself (browser mode).
  | 'disconnected'
  | 'timeout'

/** An error as a value. `code` is stable and machine-readable; `message` is for people. */
export interface RpcError {
  code: ErrorCode
  message: string
}

export type Reply<T> = { ok: true; value: T } | { ok: false; error: RpcError }

export type AppMode = 'electron' | 'browser'

export interface AppInfo {
  version: string
  /** Host platform as Node reports it (`linux`, `darwin`, `win32`, ...). */
  platform: string
  /** Node version of the backend process, e.g. `v20.19.0`. */
  node: string
  mode: AppMode
}

export interface AppRequests {
  'app.info': { params: void; result: AppInfo }
}

// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- no app-wide events yet; every concern declares an events interface
export interface AppEvents {}

export const appRequestTable = {
  'app.info': true,
} as const satisfies Record<keyof AppRequests, true>

export const appEventTable = {} as const satisfies Record<keyof AppEvents, true>

export function rpcError(code: ErrorCode, message: string): { ok: false; error: RpcError } {
  return { ok: false, error: { code, message } }
}

export function ok<T>(value: T): { ok: true; value: T } {
  return { ok: true, value }
}
