// What every handler needs: the store, object access, allocators, options and the clock.
import type { ApiRequest, ApiResponse } from './exchange'
import type { Storage } from '../store/types'
import type { ClusterIPAllocator, PortAllocator } from './registry/allocators'
import type { ObjectStore } from './registry/objects'
import type { ServerPki } from '../kit/pki'
import type { Authorizer } from './authz/authorizer'
import type { WatchCache } from './cache/watch-cache'
import type { WebhookSource } from './admission/webhook-source'

import type { User } from './user'

export type { User }

export interface ApiServerConfig {
  /** Address Pods and other nodes use to reach the API server (the `kubernetes` Service endpoint). */
  readonly advertiseAddress: string
  readonly securePort: number
  readonly serviceClusterIPRange: string
  readonly nodePortRange: { min: number; max: number }
  /** How long new pods tolerate not-ready/unreachable nodes before eviction (upstream 300 s). */
  readonly defaultTolerationSeconds: number
  /** API servers sharing the store (--apiserver-count); the `kubernetes` Endpoints keep that many addresses. */
  readonly apiserverCount: number
  /** Admission plugins switched off (upstream's --disable-admission-plugins); only `ServiceAccount` can be. */
  readonly disabledAdmissionPlugins: ReadonlySet<string>
}

export interface ServerContext {
  readonly store: Storage
  readonly objects: ObjectStore
  /** Served encodings of objects, shared by gets, lists and watches (cache/watch-cache.ts). */
  readonly cache: WatchCache
  readonly serviceIPs: ClusterIPAllocator
  readonly nodePorts: PortAllocator
  readonly config: ApiServerConfig
  readonly pki: ServerPki
  /** RBAC (and the system:masters shortcut) for every request. */
  readonly authorizer: Authorizer
  /** Admission webhook configurations, kept current by a store watch. */
  readonly webhooks: WebhookSource
  now(): Date
  /** Watch streams still open, closed on shutdown. */
  readonly openStreams: Set<ApiResponse>
  /** The user of the request being served (request-user.ts); undefined in the server's own context. */
  readonly requestUser?: User
  /** The request being served (its warnings: warnings.ts); undefined in the server's own context. */
  readonly request?: ApiRequest
}
