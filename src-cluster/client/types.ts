// The API client every control-plane component uses (scheduler, controllers, simulated nodes,
// kubelet, the host app): typed HTTPS calls, watches, informers (list + watch cache) and work
// queues, the Kubernetes controller pattern. Implementations live beside this file.
import type { Duplex } from 'node:stream'
import type { KubeObject } from '../api/object'
import type { DirectDispatch } from './in-process'

/** Which resource a call is about. Build with `resourceRef('apps/v1', 'deployments')` or from RESOURCES. */
export interface ResourceRef {
  readonly group: string // '' for core
  readonly version: string
  readonly plural: string
  readonly namespaced: boolean
  readonly kind: string
}

export interface ClientConfig {
  /** https://host:port */
  readonly server: string
  readonly caPem: string
  readonly certPem?: string
  readonly keyPem?: string
  readonly token?: string
  /** Shown in server logs and Events' reportingComponent, e.g. "kubelab-scheduler". */
  readonly userAgent?: string
  /**
   * A component in the API server's own process: connections come from here (in-memory streams
   * to that server, `ApiServer.inProcessConnect`) instead of TLS sockets to `server`. The server
   * authenticates them as the identity of `certPem` (checked once against its CA) or `token`.
   */
  readonly connect?: () => Duplex
  /**
   * A component in the API server's own process, on the direct path (`ApiServer.inProcessDispatch`):
   * requests go into the server's request pipeline without HTTP/1.1 framing; authenticated as
   * with `connect`. Takes precedence over `connect`.
   */
  readonly dispatch?: DirectDispatch
  /**
   * Connections kept for ordinary requests (watches have their own), all kept open once made;
   * a burst past it queues. Default 64. Each idle TLS connection holds ~160 KiB of the process's
   * memory and each new one costs a handshake.
   */
  readonly maxSockets?: number
}

export interface ListOptions {
  readonly namespace?: string
  readonly labelSelector?: string
  readonly fieldSelector?: string
  readonly limit?: number
  readonly continue?: string
  readonly resourceVersion?: string
}

export interface ObjectList<T extends KubeObject = KubeObject> {
  readonly items: T[]
  readonly resourceVersion: string
  readonly continue?: string
}

export interface WriteOptions {
  readonly dryRun?: boolean
  readonly fieldManager?: string
  /** 'status', 'scale', 'binding', 'eviction', 'finalize', ... */
  readonly subresource?: string
}

/**
 * A write whose answer the caller never reads (Events, bindings, status posts, lease renewals):
 * the call resolves once the server accepted it (2xx) and the answer's body is not parsed (nor,
 * on the direct path, kept). A refusal still throws the ApiClientError of the server's Status,
 * exactly as without it.
 */
export interface AnswerUnread {
  readonly readAnswer: false
}

export type PatchKind = 'merge' | 'strategic' | 'json' | 'apply'

export interface DeleteOpts {
  readonly gracePeriodSeconds?: number
  readonly propagationPolicy?: 'Orphan' | 'Background' | 'Foreground'
  readonly preconditions?: { readonly uid?: string; readonly resourceVersion?: string }
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR'
export interface WatchEventOf<T extends KubeObject = KubeObject> {
  readonly type: WatchEventType
  readonly object: T
}

export interface WatchOptions extends ListOptions {
  readonly allowWatchBookmarks?: boolean
  readonly timeoutSeconds?: number
  /**
   * The caller never changes the objects of events (an informer, which shares them): over the
   * in-process transport they may then be the API server's own parsed objects, handed over
   * rather than sent as JSON and parsed again. Ignored over HTTPS.
   */
  readonly readOnlyObjects?: boolean
}

export interface WatchHandle {
  stop(): void
  /** Resolves when the stream ends: by stop(), the server, a network error (rejects), or an ERROR event. */
  readonly done: Promise<void>
}

/**
 * An error answered by the API server: HTTP code, Status reason and message. Network failures
 * are ApiClientError with code 0 and a message naming the server and what to check.
 */
export interface ApiClientErrorShape extends Error {
  readonly code: number
  readonly reason: string
  readonly status?: Record<string, unknown>
}

export interface Client {
  readonly config: ClientConfig
  get<T extends KubeObject = KubeObject>(res: ResourceRef, namespace: string | undefined, name: string, opts?: { subresource?: string }): Promise<T | undefined>
  list<T extends KubeObject = KubeObject>(res: ResourceRef, opts?: ListOptions): Promise<ObjectList<T>>
  create(res: ResourceRef, namespace: string | undefined, obj: KubeObject, opts: WriteOptions & AnswerUnread): Promise<void>
  create<T extends KubeObject = KubeObject>(res: ResourceRef, namespace: string | undefined, obj: KubeObject, opts?: WriteOptions): Promise<T>
  /** PUT; 409 conflicts throw ApiClientError(code 409) for the caller to retry from fresh state. */
  update<T extends KubeObject = KubeObject>(res: ResourceRef, obj: T, opts: WriteOptions & AnswerUnread): Promise<void>
  update<T extends KubeObject = KubeObject>(res: ResourceRef, obj: T, opts?: WriteOptions): Promise<T>
  patch(res: ResourceRef, namespace: string | undefined, name: string, patch: unknown, kind: PatchKind, opts: WriteOptions & AnswerUnread): Promise<void>
  patch<T extends KubeObject = KubeObject>(
    res: ResourceRef,
    namespace: string | undefined,
    name: string,
    patch: unknown,
    kind: PatchKind,
    opts?: WriteOptions,
  ): Promise<T>
  /** Resolves true when deleted or marked for deletion, false when it was already gone (404). */
  delete(res: ResourceRef, namespace: string | undefined, name: string, opts?: DeleteOpts): Promise<boolean>
  /** POST to a subresource (pods/binding, pods/eviction, serviceaccounts/token): returns the answer. */
  createSubresource(res: ResourceRef, namespace: string | undefined, name: string, subresource: string, body: unknown, opts: AnswerUnread): Promise<void>
  createSubresource<T = unknown>(res: ResourceRef, namespace: string | undefined, name: string, subresource: string, body: unknown): Promise<T>
  watch<T extends KubeObject = KubeObject>(res: ResourceRef, opts: WatchOptions, onEvent: (ev: WatchEventOf<T>) => void): WatchHandle
  /** Raw request for what the typed calls do not cover (discovery, /version, metrics). */
  request<T = unknown>(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<T>
}

export type EventHandler<T> = {
  add?: (obj: T) => void
  update?: (oldObj: T, newObj: T) => void
  delete?: (obj: T) => void
}

/** A list + watch cache of one resource (optionally one namespace / selector). */
export interface InformerShape<T extends KubeObject = KubeObject> {
  addHandler(h: EventHandler<T>): void
  /** Resolves once the initial list is in the cache. */
  start(): Promise<void>
  stop(): void
  hasSynced(): boolean
  /** Key: "namespace/name" or "name" for cluster-scoped objects. */
  get(key: string): T | undefined
  list(): T[]
  /** Objects from the cache whose labels match a label selector string. */
  byIndex?(index: string, value: string): T[]
}

/** client-go's work queue: de-duplicated keys, one worker per key at a time, rate-limited retries. */
export interface WorkQueueShape<K = string> {
  add(key: K): void
  addAfter(key: K, ms: number): void
  /** Exponential per-key back-off (5 ms doubling to 1000 s, as client-go). */
  addRateLimited(key: K): void
  /** Reset a key's back-off after a successful reconcile. */
  forget(key: K): void
  /** Next key, waiting if none; undefined once shut down. */
  get(): Promise<K | undefined>
  done(key: K): void
  len(): number
  shutDown(): void
}
