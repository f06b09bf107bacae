// The one contract between the renderer and the backend. Both adapters (Electron IPC in
// src-main/electron, WebSocket in src-main/server) and the renderer client are derived from it,
// so no channel string is ever written by hand elsewhere. This file must stay free of Node and
// DOM imports: it is bundled into the main process, the sandboxed preload and the renderer.

/** An error as a value. `code` is stable and machine-readable; `message` is for people. */
export interface RpcError {
  code: string;
  message: string;
}

export type Reply<T> = { ok: true; value: T } | { ok: false; error: RpcError };

export type AppMode = 'electron' | 'browser';

export interface AppInfo {
  version: string;
  /** Host platform as Node reports it (`linux`, `darwin`, `win32`, ...). */
  platform: string;
  /** Node version of the backend process, e.g. `v20.19.0`. */
  node: string;
  mode: AppMode;
}

/** One cluster as found on disk under `$KUBELAB_HOME/clusters/<name>/cluster.json`. */
export interface ClusterSummary {
  name: string;
  /** Absolute path of the cluster's folder. */
  dir: string;
  /** VM provider (`multipass`, `virtualbox`, `local`, `simulated`); null when not recorded. */
  provider: string | null;
  /** Lifecycle state as last recorded by the cluster manager; `unknown` when not recorded. */
  state: string;
  /** Number of nodes (master + workers); null when not recorded. */
  nodeCount: number | null;
  /** ISO timestamp of creation; null when not recorded. */
  createdAt: string | null;
  /** Why cluster.json could not be read, if it could not; the other fields are then defaults. */
  problem: string | null;
}

/** Requests: renderer → backend, one typed reply each. */
export interface Requests {
  'app.info': { params: void; result: AppInfo };
  'clusters.list': { params: void; result: ClusterSummary[] };
}

/**
 * Events: backend → renderer. None exist yet; channels are declared only once something emits
 * them. The delivery machinery (queueing until the renderer is ready) is already in place.
 */
export type Events = Record<never, never>;

export type RequestName = keyof Requests;
export type EventName = keyof Events;
export type ParamsOf<K extends RequestName> = Requests[K]['params'];
export type ResultOf<K extends RequestName> = Requests[K]['result'];

// Runtime allow-lists. `satisfies Record<..., true>` makes the compiler reject a request that is
// missing here or listed here without being in the interface.
const requestTable = {
  'app.info': true,
  'clusters.list': true,
} as const satisfies Record<RequestName, true>;

const eventTable = {} as const satisfies Record<EventName, true>;

export const requestNames: readonly RequestName[] = Object.keys(requestTable) as RequestName[];
export const eventNames: readonly EventName[] = Object.keys(eventTable) as EventName[];

export function isRequestName(name: unknown): name is RequestName {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(requestTable, name);
}

export function isEventName(name: unknown): name is EventName {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(eventTable, name);
}

/** Arguments of `request()`: requests whose params are `void` take none. */
export type RequestArgs<K extends RequestName> = ParamsOf<K> extends void ? [] : [params: ParamsOf<K>];

export type EventListener<K extends EventName> = (payload: Events[K]) => void;

/**
 * What the renderer sees as `window.kubelab` (provided by the preload in Electron) and what the
 * WebSocket client implements in browser mode.
 */
export interface KubelabBridge {
  request<K extends RequestName>(name: K, ...args: RequestArgs<K>): Promise<Reply<ResultOf<K>>>;
  /** Subscribes to an event; returns the unsubscribe function. */
  on<K extends EventName>(name: K, listener: EventListener<K>): () => void;
  /** Tells the backend the renderer has subscribed; queued events are delivered after this. */
  ready(): void;
}

// ---- Electron IPC channel names (used by the preload and the main-process adapter only) ----

export const ipcChannels = {
  request: 'kubelab:request',
  event: 'kubelab:event',
  ready: 'kubelab:ready',
} as const;

// ---- WebSocket frames (browser mode, path /rpc) ----

export const wsPath = '/rpc';

export type WsClientFrame =
  | { type: 'request'; id: number; name: string; params?: unknown }
  | { type: 'ready' };

export type WsServerFrame =
  | { type: 'reply'; id: number; reply: Reply<unknown> }
  | { type: 'event'; name: string; payload: unknown };

/** A typed event as the backend publishes it; `never` while no events exist. */
export type EventMessage = { [K in EventName]: { name: K; payload: Events[K] } }[EventName];

/** An event as the transports carry it (every EventMessage is one). */
export interface WireEvent {
  name: string;
  payload: unknown;
}

export function rpcError(code: string, message: string): { ok: false; error: RpcError } {
  return { ok: false, error: { code, message } };
}

export function ok<T>(value: T): { ok: true; value: T } {
  return { ok: true, value };
}
