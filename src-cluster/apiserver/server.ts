// The API server: HTTPS with client-certificate and token authentication, discovery, OpenAPI,
// and the REST API of every resource in the resource table, on top of a Storage.
import { randomBytes, randomUUID } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { createServer as createHttpServer, type IncomingMessage } from 'node:http'
import type { Duplex } from 'node:stream'
import { createServer, type Server } from 'node:https'
import type { Socket } from 'node:net'
import { join } from 'node:path'
import { hostname } from 'node:os'
import { onResourcesChanged } from '../api/resources'
import { AUTOMANAGED, syncApiServices } from './apiservices'
import { Aggregator } from './aggregator'
import { openapiV3Document, openapiV3Index } from '../api/openapi/v3'
import { openapiV2 } from '../api/openapi/v2'
import { SYSTEM_PRIORITY_CLASSES } from '../api/validation/scheduling'
import { lockDir, openStore } from '../store'
import { queryBool } from '../util/query'
import { isCommitFeed, type Storage } from '../store/types'
import { createAuthenticator, inProcessPeer, markInProcessPeer, parseTokenFile, storeLookup, type Authenticator } from './auth'
import { DirectConnection, DirectRequest, DirectResponse, memorySocketPair, type DirectDispatch } from '../client/in-process'
import {
  aggregatedAttributes,
  authorizeOrThrow,
  Authorizer,
  ensureBootstrapPolicy,
  impersonate,
  metricsAttributes,
  NodeGraph,
  nonResourceAttributes,
  PolicyCache,
  resourceAttributes,
} from './authz'
import { type ApiServerConfig, type ServerContext, type User } from './context'
import { aggregatedDiscovery, AGGREGATED_CONTENT_TYPE, legacyApiVersions, legacyGroup, legacyGroupList, legacyResourceList, wantsAggregated } from './discovery'
import { handleDelete, handleDeleteCollection } from './handlers/delete'
import { handleEviction } from './handlers/eviction'
import { handleMetrics, isMetricsPath } from './metrics'
import { handleHttpProxy, handlePodAttach, handlePodExec, handlePodLog, handlePodPortForward, handleUpgrade } from './proxy'
import { handleGet, handleList } from './handlers/read'
import { handleReview } from './handlers/reviews'
import { handleBinding, handleScale, handleToken } from './handlers/subresources'
import { handleWatch } from './handlers/watch'
import { handleSnapshot, SNAPSHOT_PATH } from './handlers/snapshot'
import { ETCD_MEMBERS_PATH, handleEtcdMembers } from './handlers/etcd-members'
import { CrdController } from './crd/controller'
import { createObject, handleCreate, handlePatch, handleUpdate, strategyContext } from './handlers/write'
import { writeKubeconfig } from './kubeconfig'
import { updateTracker } from './fieldmanager'
import { ensureServerPki, issueClientCert, type ServerPki } from '../kit/pki'
import { ClusterIPAllocator, PortAllocator } from './registry/allocators'
import { ObjectStore } from './registry/objects'
import { WatchCache, type WatchCacheBounds } from './cache/watch-cache'
import { reserveExisting } from './registry/strategies'
import { parseRequest, type ResourceRequest } from './request'
import { requestContext } from './request-user'
import { requestTarget } from './request-target'
import type { ApiRequest, ApiResponse } from './exchange'
import { WebhookSource } from './admission/webhook-source'
import { checkAcceptable, sendError, sendJson } from './respond'
import { ApiError, errors, failure } from './status'
import { jwks, openIdConfiguration } from './tokens'
import { RES } from '../kit/resources'
import { rfc3339 } from '../kit/time'
import { EndpointReconciler, type EndpointReconcilerType } from './endpoint-reconciler'
import { IdentityLease } from './identity-lease'

export const KUBERNETES_VERSION = { major: '1', minor: '32', gitVersion: 'v1.32.4-kubelab' }

export interface ApiServerOptions {
  readonly dataDir: string
  readonly bindAddress?: string
  /** 0 picks a free port. */
  readonly securePort?: number
  readonly advertiseAddress?: string
  readonly serviceClusterIPRange?: string
  readonly nodePortRange?: { min: number; max: number }
  /** Seconds new pods tolerate not-ready/unreachable nodes (default 300; a lab can lower it). */
  readonly defaultTolerationSeconds?: number
  /** How many API servers share the store (upstream's --apiserver-count): the master-count reconciler keeps that many addresses. Default 1. */
  readonly apiserverCount?: number
  /**
   * How the `kubernetes` Endpoints and EndpointSlice are kept (upstream's --endpoint-reconciler-type):
   * `lease` (default) lists exactly the API servers whose record in the store is live,
   * `master-count` keeps up to apiserverCount addresses, `none` leaves them alone.
   */
  readonly endpointReconcilerType?: EndpointReconcilerType
  /** lease: how long an API server's record lives without renewal (default 15 s; tests shorten it). */
  readonly endpointReconcilerTtlMs?: number
  /** How often the record is renewed and the Endpoints reconciled (default 10 s). */
  readonly endpointReconcilerIntervalMs?: number
  /**
   * The APIServerIdentity Lease in kube-system (`apiserver-<hash of hostname>`): its duration
   * (default 3600 s), renew interval (10 s) and how often expired ones are collected (1 h);
   * false: none (upstream's APIServerIdentity feature gate off).
   */
  readonly identityLease?: false | { durationSeconds?: number; renewIntervalMs?: number; gcPeriodMs?: number }
  /** The name the identity Lease is derived from (default the host's name). */
  readonly hostname?: string
  /**
   * Admission plugins to switch off, as upstream's --disable-admission-plugins. Only
   * `ServiceAccount` can be: without a controller manager no namespace has its `default`
   * ServiceAccount, so pods would be refused (upstream's integration tests run this way).
   */
  readonly disableAdmissionPlugins?: readonly string[]
  /** Write an admin kubeconfig here. */
  readonly adminKubeconfig?: string
  /** Extra names for the serving certificate. */
  readonly extraSANs?: readonly string[]
  /** Use this storage instead of the embedded store in dataDir/store. */
  readonly storage?: Storage
  /** Bounds of the watch cache (entries, bytes). */
  readonly watchCache?: WatchCacheBounds
  readonly now?: () => Date
  readonly log?: (line: string) => void
}

export interface ApiServer {
  readonly url: string
  readonly port: number
  readonly pki: ServerPki
  readonly store: Storage
  readonly context: ServerContext
  /** The CustomResourceDefinition controller (tests wait on `idle()`). */
  readonly crds: CrdController
  /** Admin client credentials (certificate and key PEM). */
  readonly admin: { certPem: string; keyPem: string }
  /**
   * The in-process transport, for components in this process (`ClientConfig.connect`): each
   * call opens an in-memory connection into the same request pipeline the HTTPS port feeds
   * (authentication, authorization, admission, audit, watch), authenticated as the identity of
   * `certPem` — checked once here against the cluster CA, as the TLS handshake checks it — or,
   * without one, by the request's bearer token. No TLS, no kernel socket.
   */
  inProcessConnect(certPem?: string): () => Duplex
  /**
   * The in-process direct path (`ClientConfig.dispatch`): each call hands a request straight to
   * the same request pipeline, as its ApiRequest and ApiResponse, with no HTTP/1.1 framing;
   * authenticated as inProcessConnect authenticates. What the components in this process use.
   */
  inProcessDispatch(certPem?: string): DirectDispatch
  close(): Promise<void>
}

const BOOT_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease']
/** What the API server writes itself is owned by "kube-apiserver", as upstream's objects are. */
const APISERVER = { manager: 'kube-apiserver' }

function isIp(s: string): boolean {
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(s) || s.includes(':')
}

function ensureAdminCredentials(dataDir: string, pki: ServerPki): { certPem: string; keyPem: string; token: string } {
  const dir = join(dataDir, 'pki')
  const crt = join(dir, 'admin.crt')
  const key = join(dir, 'admin.key')
  if (!existsSync(crt) || !existsSync(key)) {
    const pair = issueClientCert(pki.ca, 'kubernetes-admin', ['system:masters'])
    writeFileSync(crt, pair.certPem, { mode: 0o644 })
    writeFileSync(key, pair.keyPem, { mode: 0o600 })
  }
  const tokensFile = join(dataDir, 'tokens.csv')
  if (!existsSync(tokensFile)) {
    writeFileSync(tokensFile, `${randomBytes(24).toString('base64url')},kubernetes-admin,${randomUUID()},"system:masters"\n`, { mode: 0o600 })
  }
  const admin = parseTokenFile(readFileSync(tokensFile, 'utf8')).find((t) => t.user === 'kubernetes-admin')
  return { certPem: readFileSync(crt, 'utf8'), keyPem: readFileSync(key, 'utf8'), token: admin?.token ?? '' }
}

async function bootstrap(ctx: ServerContext): Promise<void> {
  for (const name of BOOT_NAMESPACES) {
    if (!(await ctx.objects.get(RES.namespaces, undefined, name))) {
      await createObject(
        ctx,
        RES.namespaces,
        { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { 'kubernetes.io/metadata.name': name } } },
        undefined,
        false,
        updateTracker(RES.namespaces, APISERVER, ctx.now),
      )
    }
  }
  // The built-in PriorityClasses (upstream's scheduling bootstrap).
  for (const pc of SYSTEM_PRIORITY_CLASSES) {
    if (!(await ctx.objects.get(RES.priorityclasses, undefined, pc.name))) {
      await createObject(
        ctx,
        RES.priorityclasses,
        {
          apiVersion: 'scheduling.k8s.io/v1',
          kind: 'PriorityClass',
          metadata: { name: pc.name },
          value: pc.value,
          description: pc.description,
          preemptionPolicy: 'PreemptLowerPriority',
        },
        undefined,
        false,
        updateTracker(RES.priorityclasses, APISERVER, ctx.now),
      )
    }
  }
  // Allocators learn what stored Services hold.
  const sctx = strategyContext(ctx, false)
  for (const s of (await ctx.objects.list(RES.services, undefined)).items) reserveExisting(s.obj, sctx)
  // The `kubernetes` Service in default points at this API server.
  const kubeIp = ctx.serviceIPs.first()
  if (!(await ctx.objects.get(RES.services, 'default', 'kubernetes'))) {
    await createObject(
      ctx,
      RES.services,
      {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'kubernetes', labels: { component: 'apiserver', provider: 'kubernetes' } },
        spec: {
          type: 'ClusterIP',
          clusterIP: kubeIp,
          ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: ctx.config.securePort }],
          sessionAffinity: 'None',
        },
      },
      'default',
      false,
      updateTracker(RES.services, APISERVER, ctx.now),
    )
  }
}

/**
 * Several API servers on one etcd (several control-plane nodes) bootstrap at the same time: a
 * create that lost the race (409 AlreadyExists) or an update that lost its compare-and-swap is
 * simply run again, and then finds the other server's object.
 */
async function bootstrapRacing(ctx: ServerContext, endpoints: EndpointReconciler, log: (line: string) => void): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await bootstrap(ctx)
      await ensureBootstrapPolicy(ctx)
      // The `kubernetes` Endpoints list this server before it answers its first request. A race
      // with another server (409) runs again; any other failure (say, a failing admission
      // webhook on endpoints) does not keep the server down: its rounds retry every interval.
      await endpoints.reconcile().catch((e: unknown) => {
        if (e instanceof ApiError && e.code === 409) throw e
        log(`apiserver: reconciling the kubernetes endpoints: ${e instanceof Error ? e.message : String(e)}`)
      })
      return
    } catch (e) {
      if (!(e instanceof ApiError && e.code === 409) || attempt >= 10) throw e
      await new Promise((r) => setTimeout(r, 50 * attempt))
    }
  }
}

/**
 * URL parsing would resolve `.` and `..` away: DELETE …/configmaps/. would become a delete of
 * the whole collection and …/configmaps/.. one of the namespace. Refuse them (and %-encoded
 * forms, and broken %-encoding) before parsing, as upstream's path-segment name check does.
 */
function checkRawPath(rawUrl: string): void {
  const rawPath = rawUrl.split('?')[0] ?? ''
  // A dot segment has a `.`, an escape a `%`: a path with neither (most) needs no walk.
  if (!rawPath.includes('.') && !rawPath.includes('%')) return
  for (const raw of rawPath.split('/')) {
    let seg: string
    try {
      seg = decodeURIComponent(raw)
    } catch {
      throw errors.badRequest(`the request path has a malformed %-escape in ${JSON.stringify(raw)}: encode "%" as %25`)
    }
    if (seg === '.' || seg === '..') throw errors.badRequest(`Name parameter invalid: ${JSON.stringify(seg)}: may not be '${seg}'`)
  }
}

async function route(ctx: ServerContext, auth: Authenticator, aggregator: Aggregator, req: ApiRequest, res: ApiResponse): Promise<void> {
  checkRawPath(req.url ?? '/')
  const url = requestTarget(req.url ?? '/')
  const path = url.pathname.replace(/\/+$/, '') || '/'
  const q = url.searchParams
  // No credentials: system:anonymous, which RBAC lets read /version and the health endpoints
  // (the system:public-info-viewer binding) and nothing else (403). Bad credentials: 401.
  const requester = await auth.authenticate(req)
  if (!requester) throw errors.unauthorized()
  // kubectl --as / --as-group: checked against the requester's own permissions first.
  const user = impersonate(req, requester, ctx.authorizer)
  const method = req.method ?? 'GET'
  const segs = path.split('/').filter(Boolean)
  const isResourcePath = (segs[0] === 'api' && segs.length >= 3) || (segs[0] === 'apis' && segs.length >= 4)
  if (!isResourcePath) authorizeOrThrow(ctx, user, nonResourceAttributes(method, path))
  if (!SERVED_METHODS.has(method)) {
    // OPTIONS, TRACE, PROPFIND, …: authorized under their own verb (so RBAC names it), then 405
    // as upstream's router answers a method no route serves; never read as a GET.
    if (isResourcePath) {
      const info = parseRequest('GET', path, q)
      if (info.type === 'resource') authorizeOrThrow(ctx, user, { ...resourceAttributes(info, q), verb: method.toLowerCase() })
    }
    throw methodNotServed()
  }

  if (path === '/healthz' || path === '/livez' || path === '/readyz') {
    res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff' })
    res.end('ok')
    return
  }

  // Discovery, OpenAPI and /version are read-only routes.
  if (!isResourcePath && method !== 'GET' && method !== 'HEAD') throw methodNotServed()
  if (path === '/version') return sendJson(req, res, 200, versionInfo())
  // Service-account issuer discovery (OIDC), as upstream serves it for token consumers.
  if (path === '/.well-known/openid-configuration' || path === '/openid/v1/jwks') {
    const jwk = path === '/openid/v1/jwks'
    res.writeHead(200, { 'Content-Type': jwk ? 'application/jwk-set+json' : 'application/json', 'Cache-Control': 'public, max-age=3600' })
    res.end(JSON.stringify(jwk ? jwks(ctx.pki.serviceAccountPubPem) : openIdConfiguration(ctx.pki.serviceAccountPubPem)))
    return
  }
  if (path === '/api' || path === '/apis') {
    const core = path === '/api'
    if (wantsAggregated(req.headers.accept)) {
      res.writeHead(200, { 'Content-Type': AGGREGATED_CONTENT_TYPE, Vary: 'Accept' })
      res.end(JSON.stringify(aggregatedDiscovery(core, aggregator.list())))
      return
    }
    return sendJson(req, res, 200, core ? legacyApiVersions(`${ctx.config.advertiseAddress}:${ctx.config.securePort}`) : legacyGroupList(aggregator.list()))
  }
  if (path === SNAPSHOT_PATH) return handleSnapshot(ctx.store, req, res)
  if (path === ETCD_MEMBERS_PATH) return handleEtcdMembers(ctx.store, req, res)
  if (path === '/openapi/v2') return serveOpenapiV2(req, res)
  if (path === '/openapi/v3') return sendJson(req, res, 200, openapiV3Index())
  if (path.startsWith('/openapi/v3/')) {
    const doc = openapiV3Document(path.slice('/openapi/v3/'.length))
    if (!doc) throw errors.notFound({ group: '', plural: 'openapi' }, path)
    res.writeHead(200, {
      'Content-Type': 'application/json',
      ETag: `"${doc.hash}"`,
      'Cache-Control': q.get('hash') === doc.hash ? 'public, immutable' : 'no-cache, private',
    })
    res.end(doc.json)
    return
  }
  // Aggregated APIs (APIServices with spec.service): proxied to their backend, once RBAC here
  // allows the request (the backend may check again, with the user in X-Remote-* headers).
  const aggregated = segs[0] === 'apis' && segs.length >= 3 ? aggregator.lookup(segs[1]!, segs[2]!) : undefined
  if (aggregated) {
    if (isResourcePath) authorizeOrThrow(ctx, user, aggregatedAttributes(method, segs, queryBool(q, 'watch')))
    return aggregator.proxy(aggregated, req, res, user)
  }
  // metrics.k8s.io: served from the kubelets' usage summaries, as metrics-server would.
  if (isMetricsPath(segs)) {
    if (isResourcePath) authorizeOrThrow(ctx, user, metricsAttributes(segs, queryBool(q, 'watch')))
    return handleMetrics(ctx, req, res, segs, q)
  }
  const info = parseRequest(method, path, q)
  if (info.type === 'other') {
    if (segs[0] === 'api' && segs.length === 2) {
      const list = legacyResourceList('', segs[1]!)
      if (list) return sendJson(req, res, 200, list)
    }
    if (segs[0] === 'apis' && segs.length === 2) {
      const g = legacyGroup(segs[1]!, aggregator.list())
      if (g) return sendJson(req, res, 200, g)
    }
    if (segs[0] === 'apis' && segs.length === 3) {
      const list = legacyResourceList(segs[1]!, segs[2]!)
      if (list) return sendJson(req, res, 200, list)
    }
    throw errors.notFound({ group: '', plural: 'paths' }, path)
  }
  if (info.type === 'unknown-resource') {
    const gv = info.group ? `${info.group}/${info.version}` : info.version
    throw failure(
      404,
      'NotFound',
      `the server could not find the requested resource (${info.plural} in ${gv}): see 'kubectl api-resources' for what this cluster serves`,
    )
  }
  authorizeOrThrow(ctx, user, resourceAttributes(info, q))
  // Proxied answers are whatever the backend sends: any Accept goes through.
  if (info.subresource !== 'proxy') checkAcceptable(req)
  await serveResource(requestContext(ctx, user, req), info, req, res, q, user)
}

const METRICS_APISERVICE = 'v1beta1.metrics.k8s.io'

/** The methods the API serves; any other that Node's parser lets through is a 405. */
const SERVED_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'])

/** Upstream's answer for a method no route serves (its go-restful service error, as a Status). */
function methodNotServed(): Error {
  return failure(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource', {
    causes: [{ reason: 'UnexpectedServerResponse', message: '405: Method Not Allowed' }],
  })
}

const OPENAPI_V2_PROTOBUF = 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf'
/** What upstream labels the protobuf answer with. */
const OPENAPI_V2_PROTOBUF_TYPE = 'application/com.github.proto-openapi.spec.v2.v1.0+protobuf'

/** /openapi/v2 as kube-openapi serves it: protobuf when asked, else JSON; ETag and If-None-Match. */
function serveOpenapiV2(req: ApiRequest, res: ApiResponse): void {
  const doc = openapiV2()
  const clauses = (req.headers.accept ?? '')
    .split(',')
    .map((c) => c.split(';')[0]!.trim())
    .filter(Boolean)
  let kind: 'json' | 'protobuf' | undefined
  if (!clauses.length) kind = 'json'
  for (const c of clauses) {
    if (c === OPENAPI_V2_PROTOBUF || c === OPENAPI_V2_PROTOBUF_TYPE) kind = 'protobuf'
    else if (c === 'application/json' || c === '*/*' || c === 'application/*') kind = 'json'
    if (kind) break
  }
  if (!kind)
    throw failure(406, 'NotAcceptable', `/openapi/v2 is served as application/json or ${OPENAPI_V2_PROTOBUF} (asked for ${JSON.stringify(req.headers.accept)})`)
  const headers = {
    ETag: doc.etag,
    Vary: 'Accept',
    'Cache-Control': 'no-cache, private',
    'Content-Type': kind === 'json' ? 'application/json' : OPENAPI_V2_PROTOBUF_TYPE,
  }
  if (req.headers['if-none-match'] === doc.etag) {
    res.writeHead(304, headers)
    res.end()
    return
  }
  res.writeHead(200, headers)
  res.end(kind === 'json' ? doc.json : doc.protobuf)
}

function versionInfo(): Record<string, string> {
  return {
    ...KUBERNETES_VERSION,
    gitCommit: 'kubelab',
    gitTreeState: 'clean',
    buildDate: '2026-11-22T00:00:00Z',
    goVersion: `node${process.versions.node}`,
    compiler: 'tsx',
    platform: `${process.platform}/${process.arch}`,
  }
}

async function serveResource(ctx: ServerContext, r: ResourceRequest, req: ApiRequest, res: ApiResponse, q: URLSearchParams, user: User): Promise<void> {
  const allowed = r.res.verbs
  if (r.res.virtual) {
    if (r.verb !== 'create' || r.name) throw errors.methodNotAllowed(`${r.res.kind} only supports create`)
    return handleReview(ctx, r, req, res, q, user)
  }
  // The API server's own (Local, automanaged) APIServices stay read-only for clients, except
  // v1beta1.metrics.k8s.io, which an add-on (metrics-server's manifest) replaces with its own.
  if (r.res.group === 'apiregistration.k8s.io' && r.name && r.name !== METRICS_APISERVICE && r.verb !== 'get' && r.verb !== 'watch') {
    const cur = await ctx.objects.get(r.res, undefined, r.name)
    if (cur?.obj.metadata?.labels?.[AUTOMANAGED])
      throw errors.methodNotAllowed(
        `${r.verb} is not supported on ${r.res.plural}${r.subresource ? `/${r.subresource}` : ''} the API server manages (${r.name})`,
      )
  }
  if (r.subresource) {
    const sub = r.res.subresources?.find((s) => s.name === r.subresource)
    if (!sub) throw errors.notFound(r.res, `${r.name}/${r.subresource}`)
    // Read-only subresources (apiservices/status) refuse writes.
    if ((r.subresource === 'status' || r.subresource === 'approval') && !sub.verbs.includes(r.verb))
      throw errors.methodNotAllowed(`${r.verb} is not supported on ${r.res.plural}/${r.subresource}`)
    switch (r.subresource) {
      case 'status':
      case 'approval':
        if (r.verb === 'get') return handleGet(ctx, r, req, res, q)
        if (r.verb === 'update') return handleUpdate(ctx, r, req, res, q)
        if (r.verb === 'patch') return handlePatch(ctx, r, req, res, q)
        break
      case 'finalize':
        if (r.verb === 'update') return handleUpdate(ctx, r, req, res, q)
        break
      case 'scale':
        return handleScale(ctx, r, req, res, q)
      case 'binding':
        if (r.verb === 'create') return handleBinding(ctx, r, req, res, q)
        break
      case 'eviction':
        if (r.verb === 'create') return handleEviction(ctx, r, req, res, q)
        break
      case 'log':
        return handlePodLog(ctx, r, req, res, q)
      case 'exec':
        return handlePodExec(ctx, r, req, res, q)
      case 'attach':
        return handlePodAttach(ctx, r, req, res, q)
      case 'portforward':
        return handlePodPortForward(ctx, r, req, res, q)
      case 'proxy':
        return handleHttpProxy(ctx, r, req, res, q)
      case 'token':
        if (r.verb === 'create') return handleToken(ctx, r, req, res)
        break
    }
    throw errors.methodNotAllowed(`${req.method} is not supported on ${r.res.plural}/${r.subresource}`)
  }
  if (r.res.dynamic?.deprecationWarning) res.setHeader('Warning', `299 - ${JSON.stringify(r.res.dynamic.deprecationWarning)}`)
  if (r.res.dynamic?.refuseCreate && r.verb === 'create') throw errors.methodNotAllowed(r.res.dynamic.refuseCreate)
  // A terminating CRD's discovery drops update and patch, but its handler still takes them (as
  // upstream's), so finalizers can be removed from the objects it waits for.
  const finalizing = r.res.dynamic?.refuseCreate !== undefined && (r.verb === 'update' || r.verb === 'patch')
  if (allowed && !allowed.includes(r.verb) && !finalizing) throw errors.methodNotAllowed(`${r.verb} is not supported on ${r.res.plural}`)
  if (r.res.namespaced && !r.namespace && r.verb !== 'list' && r.verb !== 'watch' && r.verb !== 'deletecollection') {
    throw errors.badRequest(`${r.res.plural} are namespaced: use /…/namespaces/NAMESPACE/${r.res.plural}`)
  }
  switch (r.verb) {
    case 'get':
      return handleGet(ctx, r, req, res, q)
    case 'list':
      return handleList(ctx, r, req, res, q)
    case 'watch':
      return handleWatch(ctx, r, req, res, q)
    case 'create':
      if (r.name) throw errors.methodNotAllowed(`POST to a named ${r.res.singular} is not supported: POST to the collection`)
      return handleCreate(ctx, r, req, res, q)
    case 'update':
      return handleUpdate(ctx, r, req, res, q)
    case 'patch':
      return handlePatch(ctx, r, req, res, q)
    case 'delete':
      return handleDelete(ctx, r, req, res, q)
    case 'deletecollection':
      return handleDeleteCollection(ctx, r, req, res, q)
  }
}

export async function startApiServer(opts: ApiServerOptions): Promise<ApiServer> {
  const log = opts.log ?? ((l: string) => console.log(l))
  for (const plugin of opts.disableAdmissionPlugins ?? [])
    if (plugin !== 'ServiceAccount') throw new Error(`admission plugin "${plugin}" cannot be disabled (only ServiceAccount can)`)
  mkdirSync(opts.dataDir, { recursive: true, mode: 0o700 })
  const bind = opts.bindAddress ?? '127.0.0.1'
  const advertise = opts.advertiseAddress ?? (bind === '0.0.0.0' ? '127.0.0.1' : bind)
  const serviceIPs = new ClusterIPAllocator(opts.serviceClusterIPRange ?? '10.96.0.0/12')
  const names = {
    dnsNames: [
      'localhost',
      'kubernetes',
      'kubernetes.default',
      'kubernetes.default.svc',
      'kubernetes.default.svc.cluster.local',
      ...(opts.extraSANs ?? []).filter((s) => !isIp(s)),
    ],
    ipAddresses: [...new Set(['127.0.0.1', advertise, serviceIPs.first(), ...(bind !== '0.0.0.0' ? [bind] : []), ...(opts.extraSANs ?? []).filter(isIp)])],
  }
  // Before anything in the directory is read or written: two servers generating certificates
  // into one directory at once would leave each with keys the other overwrote.
  const releaseDir = await lockDir(opts.dataDir)
  let pki: ServerPki
  let admin: { certPem: string; keyPem: string; token: string }
  let store: Storage
  try {
    pki = ensureServerPki(opts.dataDir, names)
    admin = ensureAdminCredentials(opts.dataDir, pki)
    store = opts.storage ?? (await openStore({ dataDir: join(opts.dataDir, 'store') }))
  } catch (err) {
    await releaseDir()
    throw err
  }
  const now = opts.now ?? (() => new Date())
  const auth = createAuthenticator({
    staticTokens: parseTokenFile(readFileSync(join(opts.dataDir, 'tokens.csv'), 'utf8')),
    serviceAccountPubPem: pki.serviceAccountPubPem,
    now,
    // Tokens are checked against live objects once the server is up (requests wait for that).
    lookup: async (kind, ns, name) => storeLookup((await ready).objects)(kind, ns, name),
  })
  const server: Server = createServer({
    key: pki.serving.keyPem,
    cert: pki.serving.certPem,
    ca: [pki.ca.certPem],
    requestCert: true,
    rejectUnauthorized: false,
    // Long label selectors and impersonation headers need room: upstream allows 1 MiB.
    maxHeaderSize: 1024 * 1024,
  })
  // A client that never finishes its headers is dropped after 32 s, as upstream's server.
  server.headersTimeout = 32_000
  // An idle keep-alive connection stays open 90 s, as upstream's server (IdleTimeout, the Go
  // transport's own keep-alive); Node's 5 s made every component that paused for 5 s pay new
  // TLS handshakes for its next burst of requests.
  server.keepAliveTimeout = 90_000
  // Every accepted socket, for close(): closeAllConnections() misses one still in its TLS
  // handshake or upgraded (exec, port-forward), and such a socket would hold server.close() open.
  const sockets = new Set<Socket>()
  server.on('connection', (socket: Socket) => {
    sockets.add(socket)
    socket.once('close', () => sockets.delete(socket))
  })
  // Requests that arrive while the server is still bootstrapping wait for it (with no handler
  // attached, Node would leave them unanswered until the client gives up).
  let aggregator!: Aggregator
  let apiServicesSync = Promise.resolve()
  let markReady!: (c: ServerContext) => void
  let markFailed!: (e: unknown) => void
  const ready = new Promise<ServerContext>((resolve, reject) => {
    markReady = resolve
    markFailed = reject
  })
  ready.catch(() => undefined)
  const onRequest = (req: ApiRequest, res: ApiResponse): void => {
    ready.then((c) => route(c, auth, aggregator, req, res)).catch((e: unknown) => sendError(req, res, e))
  }
  server.on('request', onRequest)
  // The in-process transport's side: the same handler behind plain HTTP on in-memory
  // connections (never listening on anything).
  const local = createHttpServer({ maxHeaderSize: 1024 * 1024 }, onRequest)
  const localSockets = new Set<Duplex>()
  // Direct-path requests under way (watches among them), ended as dropped connections on close().
  const exchanges = new Set<DirectResponse>()
  let closing = false
  // CONNECT is no API method (the API server is no proxy): an empty 405, then the connection ends.
  server.on('connect', (_req: IncomingMessage, socket: Duplex) => {
    socket.end('HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\nConnection: close\r\n\r\n')
  })
  // exec, attach and port-forward arrive as WebSocket or SPDY upgrades; they are proxied to the kubelet.
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    ready.then(
      (c) =>
        handleUpgrade(c, req, socket, head, async () => {
          const requester = await auth.authenticate(req)
          return requester && impersonate(req, requester, c.authorizer)
        }),
      () => socket.destroy(),
    )
  })
  // A start that fails from here on gives back the store and the directory it locked.
  const abandon = async (): Promise<void> => {
    if (!opts.storage) await store.close().catch(() => undefined)
    await releaseDir()
  }
  const listenPort = await new Promise<number>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) =>
      reject(e.code === 'EADDRINUSE' ? new Error(`port ${opts.securePort} on ${bind} is in use: stop what holds it or pass another --secure-port`) : e),
    )
    server.listen(opts.securePort ?? 6443, bind, () => resolve((server.address() as { port: number }).port))
  }).catch(async (e: unknown) => {
    await abandon()
    throw e
  })
  const config: ApiServerConfig = {
    advertiseAddress: advertise,
    securePort: listenPort,
    serviceClusterIPRange: serviceIPs.cidr,
    nodePortRange: opts.nodePortRange ?? { min: 30000, max: 32767 },
    defaultTolerationSeconds: opts.defaultTolerationSeconds ?? 300,
    apiserverCount: opts.apiserverCount ?? 1,
    disabledAdmissionPlugins: new Set(opts.disableAdmissionPlugins ?? []),
  }
  // Filled after the bootstrap policy is written (below), so the first request already sees it.
  const policy = PolicyCache.create(store)
  const cache = new WatchCache(isCommitFeed(store) ? store : undefined, opts.watchCache)
  const nodeGraph = await NodeGraph.start(store, cache)
  const ctx: ServerContext = {
    authorizer: new Authorizer(policy, nodeGraph),
    store,
    objects: new ObjectStore(store, (res, w) => cache.primeWritten(res, w.kv, w.metaEnd)),
    cache,
    serviceIPs,
    nodePorts: new PortAllocator(config.nodePortRange.min, config.nodePortRange.max),
    config,
    pki,
    webhooks: new WebhookSource(store),
    now,
    openStreams: new Set(),
    requestUser: undefined,
    request: undefined,
  }
  const endpoints = new EndpointReconciler(ctx, {
    type: opts.endpointReconcilerType ?? 'lease',
    ttlMs: opts.endpointReconcilerTtlMs ?? 15_000,
    intervalMs: opts.endpointReconcilerIntervalMs ?? 10_000,
    log,
  })
  const identity =
    opts.identityLease === false
      ? undefined
      : new IdentityLease(ctx, {
          hostname: opts.hostname ?? hostname(),
          durationSeconds: opts.identityLease?.durationSeconds ?? 3600,
          renewIntervalMs: opts.identityLease?.renewIntervalMs ?? 10_000,
          gcPeriodMs: opts.identityLease?.gcPeriodMs ?? 3_600_000,
          log,
        })
  let crds: CrdController
  try {
    await bootstrapRacing(ctx, endpoints, log)
    await identity?.start()
    await policy.load()
    await ctx.webhooks.load()
    // Stored CRDs are served before the first request is answered.
    crds = await CrdController.start(ctx)
    await syncApiServices(ctx)
    // A deleted APIService the API server serves locally (metrics.k8s.io after metrics-server
    // goes) is written again.
    aggregator = new Aggregator(ctx, () => {
      apiServicesSync = apiServicesSync
        .then(() => syncApiServices(ctx))
        .catch((e: unknown) => log(`apiserver: APIService sync: ${e instanceof Error ? e.message : String(e)}`))
    })
    await aggregator.start()
  } catch (e) {
    markFailed(errors.unavailable(`the API server failed to start: ${e instanceof Error ? e.message : String(e)}`))
    await identity?.stop()
    aggregator?.close()
    server.close()
    policy.close()
    ctx.webhooks.close()
    nodeGraph.close()
    await abandon()
    throw e
  }
  markReady(ctx)
  endpoints.start()
  // APIServices follow the served group versions (custom resources' come and go).
  const stopApiServices = onResourcesChanged(() => {
    apiServicesSync = apiServicesSync
      .then(() => syncApiServices(ctx))
      .catch((e: unknown) => log(`apiserver: APIService sync: ${e instanceof Error ? e.message : String(e)}`))
  })
  const host = bind === '0.0.0.0' ? advertise : bind
  const url = `https://${host.includes(':') ? `[${host}]` : host}:${listenPort}`
  if (opts.adminKubeconfig) {
    writeKubeconfig(opts.adminKubeconfig, { server: url, caPem: pki.ca.certPem, user: 'kubernetes-admin', certPem: admin.certPem, keyPem: admin.keyPem })
  }
  log(`apiserver: serving on ${url} (store revision ${store.revision()}) at ${rfc3339(now())}`)
  return {
    url,
    port: listenPort,
    pki,
    store,
    context: ctx,
    crds,
    admin: { certPem: admin.certPem, keyPem: admin.keyPem },
    inProcessConnect(certPem) {
      const peer = inProcessPeer(certPem, pki.ca.certPem, now())
      return () => {
        const [client, serverSide] = memorySocketPair()
        // A closed server refuses, as its port would.
        if (closing) {
          queueMicrotask(() => client.destroy(Object.assign(new Error('connect ECONNREFUSED (the in-process API server is closed)'), { code: 'ECONNREFUSED' })))
          return client
        }
        markInProcessPeer(serverSide, peer)
        localSockets.add(serverSide)
        serverSide.once('close', () => localSockets.delete(serverSide))
        local.emit('connection', serverSide)
        return client
      }
    },
    inProcessDispatch(certPem) {
      const connection = new DirectConnection()
      markInProcessPeer(connection, inProcessPeer(certPem, pki.ca.certPem, now()))
      return (init, receiver) => {
        const res = new DirectResponse(new DirectRequest(init, connection), receiver)
        // A closed server refuses, as its port would.
        if (closing) {
          queueMicrotask(() => res.destroy(Object.assign(new Error('connect ECONNREFUSED (the in-process API server is closed)'), { code: 'ECONNREFUSED' })))
          return res
        }
        exchanges.add(res)
        res.once('close', () => exchanges.delete(res))
        onRequest(res.request, res)
        return res
      }
    },
    async close() {
      closing = true
      // A clean shutdown takes this server out of the `kubernetes` Endpoints first (while the
      // store is still open); a store that does not answer leaves that to the record's expiry.
      await identity?.stop()
      const left = endpoints.stop().catch((e: unknown) => log(`apiserver: leaving the kubernetes endpoints: ${e instanceof Error ? e.message : String(e)}`))
      await Promise.race([left, new Promise((r) => setTimeout(r, 5000).unref())])
      for (const s of ctx.openStreams) s.end()
      // Stop listening before dropping connections: a client whose watch just ended reconnects
      // at once, and a connection accepted now would hold server.close() open for ever.
      const closed = new Promise<void>((resolve) => server.close(() => resolve()))
      for (const socket of sockets) socket.destroy()
      for (const socket of localSockets) socket.destroy()
      for (const x of exchanges) x.destroy()
      policy.close()
      ctx.webhooks.close()
      nodeGraph.close()
      ctx.cache.close()
      crds.close()
      aggregator.close()
      stopApiServices()
      await apiServicesSync
      for (const socket of sockets) socket.destroy()
      for (const socket of localSockets) socket.destroy()
      for (const x of exchanges) x.destroy()
      await closed
      if (!opts.storage) await store.close()
      await releaseDir()
    },
  }
}
