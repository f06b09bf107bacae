// The one contract between the renderer and the backend. Both adapters (Electron IPC in
// src-main/electron, WebSocket in src-main/server) and the renderer client are derived from it,
// so no channel string is ever written by hand elsewhere. Each concern declares its requests,
// events and runtime allow-list in `contract/<concern>.ts`; this file joins them. It must stay
// free of Node and DOM imports: it is bundled into the main process, the sandboxed preload and
// the renderer.

import { appEventTable, appRequestTable, type AppEvents, type AppRequests } from './contract/app'
import { clusterEventTable, clusterRequestTable, type ClusterEvents, type ClusterRequests } from './contract/clusters'
import { logEventTable, logRequestTable, type LogEvents, type LogRequests } from './contract/logs'
import { resourceEventTable, resourceRequestTable, type ResourceEvents, type ResourceRequests } from './contract/resources'
import { terminalEventTable, terminalRequestTable, type TerminalEvents, type TerminalRequests } from './contract/terminals'
import { portForwardEventTable, portForwardRequestTable, type PortForwardEvents, type PortForwardRequests } from './contract/portforward'
import { labEventTable, labRequestTable, type LabEvents, type LabRequests } from './contract/labs'
import type { Reply } from './contract/app'

export * from './contract/app'
export * from './contract/clusters'
export * from './contract/resources'
export * from './contract/terminals'
export * from './contract/logs'
export * from './contract/portforward'
export * from './contract/labs'
export * from './contract/providers'
export * from './contract/errors'

/** Requests: renderer → backend, one typed reply each. */
export interface Requests extends AppRequests, ClusterRequests, ResourceRequests, TerminalRequests, LogRequests, PortForwardRequests, LabRequests {}

/**
 * Events: backend → renderer. Events raised before the renderer is ready are queued and
 * delivered once it calls `ready()`.
 */
export interface Events extends AppEvents, ClusterEvents, ResourceEvents, TerminalEvents, LogEvents, PortForwardEvents, LabEvents {}

export type RequestName = keyof Requests
export type EventName = keyof Events
export type ParamsOf<K extends RequestName> = Requests[K]['params']
export type ResultOf<K extends RequestName> = Requests[K]['result']

// Runtime allow-lists. `satisfies Record<..., true>` makes the compiler reject a request that is
// missing here or listed here without being in the interface.
const requestTable = {
  ...appRequestTable,
  ...clusterRequestTable,
  ...resourceRequestTable,
  ...terminalRequestTable,
  ...logRequestTable,
  ...portForwardRequestTable,
  ...labRequestTable,
} as const satisfies Record<RequestName, true>

const eventTable = {
  ...appEventTable,
  ...clusterEventTable,
  ...resourceEventTable,
  ...terminalEventTable,
  ...logEventTable,
  ...portForwardEventTable,
  ...labEventTable,
} as const satisfies Record<EventName, true>

export const requestNames: readonly RequestName[] = Object.keys(requestTable) as RequestName[]
export const eventNames: readonly EventName[] = Object.keys(eventTable) as EventName[]

export function isRequestName(name: unknown): name is RequestName {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(requestTable, name)
}

export function isEventName(name: unknown): name is EventName {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(eventTable, name)
}

/** Arguments of `request()`: requests whose params are `void` take none. */
export type RequestArgs<K extends RequestName> = ParamsOf<K> extends void ? [] : [params: ParamsOf<K>]

export type EventListener<K extends EventName> = (payload: Events[K]) => void

/**
 * What the renderer sees as `window.kubelab` (provided by the preload in Electron) and what the
 * WebSocket client implements in browser mode.
 */
export interface KubelabBridge {
  request<K extends RequestName>(name: K, ...args: RequestArgs<K>): Promise<Reply<ResultOf<K>>>
  /** Subscribes to an event; returns the unsubscribe function. */
  on<K extends EventName>(name: K, listener: EventListener<K>): () => void
  /** Tells the backend the renderer has subscribed; queued events are delivered after this. */
  ready(): void
}

// ---- Electron IPC channel names (used by the preload and the main-process adapter only) ----

export const ipcChannels = {
  request: 'kubelab:request',
  event: 'kubelab:event',
  ready: 'kubelab:ready',
} as const

// ---- WebSocket frames (browser mode, path /rpc) ----

export const wsPath = '/rpc'

export type WsClientFrame = { type: 'request'; id: number; name: string; params?: unknown } | { type: 'ready' }

export type WsServerFrame = { type: 'reply'; id: number; reply: Reply<unknown> } | { type: 'event'; name: string; payload: unknown }

/** A typed event as the backend publishes it. */
export type EventMessage = { [K in EventName]: { name: K; payload: Events[K] } }[EventName]

/** An event as the transports carry it (every EventMessage is one). */
export interface WireEvent {
  name: string
  payload: unknown
}
