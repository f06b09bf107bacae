// Contract for port-forwards: a local TCP port on 127.0.0.1 that carries connections to a pod's
// port (or a Service's port, through one ready pod behind it) via the API server's
// pods/portforward. Free of Node and DOM imports.

export type PortForwardKind = 'pod' | 'service'

export interface PortForwardParams {
  cluster: string
  namespace: string
  kind: PortForwardKind
  /** Pod or Service name. */
  name: string
  /** The pod's container port, or the Service's port (mapped to its target port). */
  port: number
  /** Local port to listen on; absent or null picks a free one. */
  localPort?: number | null
}

export interface PortForwardInfo {
  id: string
  cluster: string
  namespace: string
  kind: PortForwardKind
  name: string
  /** The port asked for (pod port or Service port). */
  port: number
  /** The pod the connections go to (for a Service: the ready pod chosen at start). */
  pod: string
  /** The port on that pod. */
  podPort: number
  localPort: number
  /** `http://127.0.0.1:<localPort>/`, to open in a browser. */
  url: string
  /** Local connections carried so far, and open now. */
  connections: number
  active: number
  /** The last connection's failure, if any (e.g. nothing listens on the pod port). */
  lastError: string | null
}

export interface PortForwardStarted {
  id: string
  localPort: number
  url: string
}

export interface PortForwardRef {
  id: string
}

export interface PortForwardRequests {
  /**
   * Starts listening on 127.0.0.1. Fails with code `portforward_refused` when the API server
   * refuses the forward (pod not running, simulated node), `not_found` for a missing
   * pod/Service/port, `no_ready_pod` when no ready pod backs the Service, `port_in_use` when
   * the local port is taken.
   */
  'portforward.start': { params: PortForwardParams; result: PortForwardStarted }
  'portforward.list': { params: void; result: PortForwardInfo[] }
  'portforward.stop': { params: PortForwardRef; result: void }
}

export interface PortForwardEvents {
  /** The full list after any change (start, stop, a connection opened, closed or failed). */
  'portforward.changed': PortForwardInfo[]
}

export const portForwardRequestTable = {
  'portforward.start': true,
  'portforward.list': true,
  'portforward.stop': true,
} as const satisfies Record<keyof PortForwardRequests, true>

export const portForwardEventTable = {
  'portforward.changed': true,
} as const satisfies Record<keyof PortForwardEvents, true>
