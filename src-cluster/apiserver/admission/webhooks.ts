// Admission webhooks (admissionregistration.k8s.io/v1), as upstream's MutatingAdmissionWebhook
// and ValidatingAdmissionWebhook plugins: the configurations are kept in memory by a store watch;
// a request is sent to every webhook whose rules, namespaceSelector and objectSelector match, as
// an AdmissionReview over HTTPS (the webhook's URL, or its Service reached through a ready
// endpoint, as the API server on a node with pod network reaches it; caBundle verifies the
// certificate, for a Service as `NAME.NAMESPACE.svc`). Mutating webhooks run one after another
// (configurations by name) and may answer a JSONPatch; validating webhooks run together. A
// refusal is upstream's `admission webhook "X" denied the request: …`; a failed call refuses
// the request under failurePolicy Fail and is skipped under Ignore. A webhook's matchConditions
// (CEL over object, oldObject, request) are evaluated before calling it: any false skips it, an
// error follows failurePolicy. ValidatingAdmissionPolicies (policies.ts) run before the
// validating webhooks.
import { randomUUID } from 'node:crypto'
import { isDeepStrictEqual } from 'node:util'
import { request as httpsRequest } from 'node:https'
import type { KubeObject } from '../../api/object'
import type { ResourceInfo } from '../../api/resources'
import { MATCH_CONDITION_VARIABLES } from '../cel'
import { RES } from '../../kit/resources'
import type { ServerContext } from '../context'
import type { User } from '../user'
import { queryBool } from '../../util/query'
import { applyPatch } from '../patch'
import { celAuthorizer, celRequest, convert, equivalentsOf, evaluateMatchConditions, runValidatingPolicies, typed } from './policies'
import { ApiError, failure } from '../status'
import { addWarning } from '../warnings'
import {
  buildReview,
  gvrOf,
  matchingResource,
  namespaceSelectorIsEmpty,
  namespaceSelectorMatches,
  objectSelectorMatches,
  reviewVersion,
  verifyResponse,
  type AdmissionAttributes,
  type ReviewResult,
  type Webhook,
} from './webhook-rules'

export type { AdmissionAttributes } from './webhook-rules'

const GROUP = 'admissionregistration.k8s.io'
/** Largest webhook answer read (upstream's client reads at most a few MB too). */
const MAX_RESPONSE_BYTES = 3 * 1024 * 1024

/** Requests on these are never sent to webhooks (upstream: so a bad webhook can always be removed). */
function exempt(res: ResourceInfo): boolean {
  return res.group === GROUP
}

interface Invocation {
  readonly config: string
  readonly hook: Webhook
  /** The resource (version) the webhook is called for. */
  readonly res: ResourceInfo
}

async function matching(ctx: ServerContext, a: AdmissionAttributes, mutating: boolean): Promise<Invocation[]> {
  if (exempt(a.res) || !a.user) return []
  const entries = ctx.webhooks.hooks(mutating)
  if (!entries.length) return []
  const equivalents = equivalentsOf(a.res)
  let nsLabels: Record<string, unknown> | undefined | null = null // null: not read yet
  const namespaceLabels = async (): Promise<Record<string, unknown> | undefined> => {
    if (nsLabels !== null) return nsLabels
    if (a.res.group === '' && a.res.plural === 'namespaces') nsLabels = ((a.object ?? a.oldObject)?.metadata?.labels as Record<string, unknown>) ?? {}
    else if (!a.res.namespaced || !a.namespace) nsLabels = undefined
    else {
      const ns = await ctx.objects.get(RES.namespaces, undefined, a.namespace)
      nsLabels = (ns?.obj.metadata?.labels as Record<string, unknown> | undefined) ?? {}
    }
    return nsLabels
  }
  const out: Invocation[] = []
  for (const { config, hook } of entries) {
    const res = matchingResource(hook, a, equivalents)
    if (!res) continue
    if (!namespaceSelectorIsEmpty(hook) && !namespaceSelectorMatches(hook, await namespaceLabels())) continue
    if (!objectSelectorMatches(hook, a)) continue
    if (hook.matchConditions?.length) {
      const activation = {
        object: typed(res, a.kind ? a.object : convert(a.res, res, a.object)) ?? null,
        oldObject: typed(res, a.kind ? a.oldObject : convert(a.res, res, a.oldObject)) ?? null,
        request: celRequest(a, res),
        authorizer: celAuthorizer(ctx, a, res),
      }
      const mc = evaluateMatchConditions(hook.matchConditions, MATCH_CONDITION_VARIABLES, activation)
      if (!mc.matches) continue
      if (mc.error) {
        if (hook.failurePolicy === 'Ignore') continue
        throw callFailed(hook.name, mc.error)
      }
    }
    out.push({ config, hook, res })
  }
  return out
}

/** Upstream's "failed calling webhook" error, as a 500 InternalError. */
function callFailed(name: string, why: string): ApiError {
  const message = `failed calling webhook ${JSON.stringify(name)}: ${why}`
  return failure(500, 'InternalError', `Internal error occurred: ${message}`, { causes: [{ message }] })
}

/** Upstream's ToStatusErr: the webhook's Status with its message prefixed (400 at least). */
function denied(name: string, status: ReviewResult['status']): ApiError {
  const s = status ?? {}
  const by = `admission webhook ${JSON.stringify(name)} denied the request`
  const message = s.message ? `${by}: ${s.message}` : s.reason ? `${by}: ${s.reason}` : `${by} without explanation`
  const code = typeof s.code === 'number' && s.code >= 400 ? s.code : 400
  return new ApiError({
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason: s.reason || undefined,
    details: s.details && typeof s.details === 'object' ? (s.details as ApiError['status']['details']) : undefined,
    code,
  })
}

interface Target {
  /** What error messages show: `https://svc.ns.svc:443/path?timeout=10s`. */
  readonly url: string
  readonly host: string
  readonly port: number
  readonly path: string
  /** TLS server name checked against the certificate. */
  readonly servername?: string
}

class CallError extends Error {}

/** Where to send the review: the URL, or a ready endpoint of the Service. */
async function resolve(ctx: ServerContext, hook: Webhook, timeout: string): Promise<Target> {
  const cc = hook.clientConfig ?? {}
  if (cc.url) {
    const u = new URL(cc.url)
    const path = `${u.pathname || '/'}?timeout=${timeout}`
    const host = u.hostname.replace(/^\[|\]$/g, '')
    return { url: `${u.protocol}//${u.host}${path}`, host, port: u.port ? Number(u.port) : 443, path }
  }
  const svc = cc.service ?? {}
  const ns = svc.namespace ?? ''
  const name = svc.name ?? ''
  const port = svc.port ?? 443
  const path = `${svc.path || '/'}?timeout=${timeout}`
  const servername = `${name}.${ns}.svc`
  const url = `https://${servername}:${port}${path}`
  const fail = (why: string) => new CallError(`failed to call webhook: Post ${JSON.stringify(url)}: ${why}`)
  const service = await ctx.objects.get(RES.services, ns, name)
  if (!service) throw fail(`service ${JSON.stringify(name)} not found`)
  const ports = ((service.obj.spec as { ports?: { name?: string; port?: number; targetPort?: number | string }[] } | undefined)?.ports ?? []).filter(
    (p) => p.port === port,
  )
  const sp = ports[0]
  if (!sp) throw fail(`no service port ${port} found for service ${JSON.stringify(name)}`)
  // EndpointSlices of the Service: a ready address and the port named as the service port.
  const slices = (await ctx.objects.list(RES.slices, ns)).items
    .map(
      (s) =>
        s.obj as {
          metadata?: { labels?: Record<string, string> }
          endpoints?: { addresses?: string[]; conditions?: { ready?: boolean } }[]
          ports?: { name?: string; port?: number }[]
        },
    )
    .filter((s) => s.metadata?.labels?.['kubernetes.io/service-name'] === name)
  for (const s of slices) {
    const ep = (s.ports ?? []).find((p) => (p.name ?? '') === (sp.name ?? ''))
    const addr = (s.endpoints ?? []).find((e) => e.conditions?.ready !== false && e.addresses?.length)?.addresses?.[0]
    if (ep?.port && addr) return { url, host: addr, port: ep.port, path, servername }
  }
  throw fail(`no endpoints available for service ${JSON.stringify(name)}`)
}

/** Go's words for the usual network and TLS failures, so messages read as upstream's. */
function goError(e: NodeJS.ErrnoException & { host?: string }, target: Target): string {
  const addr = `${target.host.includes(':') ? `[${target.host}]` : target.host}:${target.port}`
  switch (e.code) {
    case 'ECONNREFUSED':
      return `dial tcp ${addr}: connect: connection refused`
    case 'EHOSTUNREACH':
      return `dial tcp ${addr}: connect: no route to host`
    case 'ENOTFOUND':
      return `dial tcp: lookup ${target.host}: no such host`
    case 'ECONNRESET':
      return `read tcp ${addr}: read: connection reset by peer`
    case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE':
    case 'SELF_SIGNED_CERT_IN_CHAIN':
    case 'DEPTH_ZERO_SELF_SIGNED_CERT':
    case 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY':
      return 'tls: failed to verify certificate: x509: certificate signed by unknown authority'
    case 'ERR_TLS_CERT_ALTNAME_INVALID':
      return `tls: failed to verify certificate: x509: certificate is not valid for ${target.servername ?? target.host}`
    case 'CERT_HAS_EXPIRED':
      return 'tls: failed to verify certificate: x509: certificate has expired or is not yet valid'
    default:
      return e.message
  }
}

/** POSTs the review; resolves with the parsed answer or throws a CallError in upstream's words. */
async function post(ctx: ServerContext, hook: Webhook, review: Record<string, unknown>): Promise<unknown> {
  const seconds = hook.timeoutSeconds ?? 10
  const target = await resolve(ctx, hook, `${seconds}s`)
  const body = Buffer.from(JSON.stringify(review))
  const ca = hook.clientConfig?.caBundle ? Buffer.from(hook.clientConfig.caBundle, 'base64').toString() : undefined
  const prefix = `failed to call webhook: Post ${JSON.stringify(target.url)}`
  return new Promise((resolvePost, reject) => {
    let done = false
    const finish = (err: Error | undefined, value?: unknown) => {
      if (done) return
      done = true
      clearTimeout(timer)
      if (err) reject(err)
      else resolvePost(value)
    }
    const req = httpsRequest(
      {
        host: target.host,
        port: target.port,
        path: target.path,
        method: 'POST',
        servername: target.servername ?? (/^[\d.]+$|:/.test(target.host) ? undefined : target.host),
        ca,
        agent: false,
        headers: { 'Content-Type': 'application/json', Accept: 'application/json, */*', 'Content-Length': body.length },
      },
      (res) => {
        const chunks: Buffer[] = []
        let size = 0
        res.on('data', (d: Buffer) => {
          size += d.length
          if (size > MAX_RESPONSE_BYTES) {
            req.destroy()
            finish(new CallError(`${prefix}: response body too large`))
          } else chunks.push(d)
        })
        res.on('error', (e) => finish(new CallError(`${prefix}: ${e.message}`)))
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString()
          const code = res.statusCode ?? 0
          if (code < 200 || code > 299) {
            const why =
              code === 404
                ? 'the server could not find the requested resource'
                : `an error on the server (${JSON.stringify(text.slice(0, 256))}) has prevented the request from succeeding`
            finish(new CallError(`failed to call webhook: ${why}`))
            return
          }
          try {
            finish(undefined, JSON.parse(text))
          } catch (e) {
            finish(new CallError(`received invalid webhook response: ${e instanceof Error ? e.message : String(e)}`))
          }
        })
      },
    )
    const timer = setTimeout(() => {
      req.destroy()
      finish(new CallError(`${prefix}: context deadline exceeded`))
    }, seconds * 1000)
    req.on('error', (e: NodeJS.ErrnoException) => finish(new CallError(`${prefix}: ${goError(e, target)}`)))
    req.end(body)
  })
}

/** One call: the review for `inv`, its verified answer, or undefined when skipped (Ignore). */
async function call(
  ctx: ServerContext,
  a: AdmissionAttributes,
  inv: Invocation,
  mutating: boolean,
): Promise<{ result: ReviewResult; res: ResourceInfo } | undefined> {
  const { hook } = inv
  if (a.dryRun && hook.sideEffects !== 'None' && hook.sideEffects !== 'NoneOnDryRun') {
    throw failure(400, 'BadRequest', `admission webhook ${JSON.stringify(hook.name)} does not support dry run`)
  }
  const ignore = hook.failurePolicy === 'Ignore'
  const version = reviewVersion(hook)
  try {
    if (!version) throw new CallError(`webhook does not accept known AdmissionReview versions`)
    const uid = randomUUID()
    const kind = a.kind ?? { group: inv.res.group, version: inv.res.version, kind: inv.res.kind }
    const requestKind = a.kind ?? { group: a.res.group, version: a.res.version, kind: a.res.kind }
    const review = a.kind
      ? buildReview(uid, version, a, gvrOf(inv.res), kind, requestKind, a.object, a.oldObject)
      : buildReview(
          uid,
          version,
          a,
          gvrOf(inv.res),
          kind,
          requestKind,
          typed(inv.res, convert(a.res, inv.res, a.object)),
          typed(inv.res, convert(a.res, inv.res, a.oldObject)),
        )
    const answer = await post(ctx, hook, review)
    let result: ReviewResult
    try {
      result = verifyResponse(uid, version, mutating, answer)
    } catch (e) {
      throw new CallError(`received invalid webhook response: ${e instanceof Error ? e.message : String(e)}`)
    }
    for (const w of result.warnings) addWarning(ctx, w)
    return { result, res: inv.res }
  } catch (e) {
    if (!(e instanceof CallError)) throw e
    if (ignore) return undefined
    throw callFailed(hook.name, e.message)
  }
}

/**
 * Mutating admission webhooks on `a.object`: each matching webhook in turn; a JSONPatch answer
 * changes the object the next one sees. Returns the object as changed (or the same).
 */
export async function runMutatingWebhooks(ctx: ServerContext, attrs: AdmissionAttributes): Promise<KubeObject | undefined> {
  const invocations = await matching(ctx, attrs, true)
  // reinvocationPolicy IfNeeded: a webhook that ran before another one changed the object is
  // called once more after the first round (upstream's reinvocation, webhooks only).
  const changedAt: number[] = []
  for (const [i, inv] of invocations.entries()) if (await mutateOnce(ctx, attrs, inv)) changedAt.push(i)
  const again = invocations.filter((inv, i) => inv.hook.reinvocationPolicy === 'IfNeeded' && changedAt.some((j) => j > i))
  for (const inv of again) await mutateOnce(ctx, attrs, inv)
  return attrs.object
}

/** One mutating call; true when its patch changed the object. */
async function mutateOnce(ctx: ServerContext, a: AdmissionAttributes, inv: Invocation): Promise<boolean> {
  const out = await call(ctx, a, inv, true)
  if (!out) return false
  if (!out.result.allowed) throw denied(inv.hook.name, out.result.status)
  if (!out.result.patch) return false
  if (!a.object || a.kind) {
    throw failure(
      500,
      'InternalError',
      `Internal error occurred: admission webhook ${JSON.stringify(inv.hook.name)} attempted to modify the object, which is not supported for this operation`,
    )
  }
  const seen = typed(out.res, convert(a.res, out.res, a.object))!
  let patched: KubeObject
  try {
    patched = applyPatch('json', seen, out.result.patch, out.res.schema, out.res.dynamic?.lookup)
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e)
    throw failure(500, 'InternalError', `Internal error occurred: ${message}`, { causes: [{ message }] })
  }
  const before = a.object
  a.object = typed(a.res, convert(out.res, a.res, patched))
  return !isDeepStrictEqual(before, a.object)
}

/** Validating admission webhooks: all matching ones at once; the first refusal (in order) wins. */
export async function runValidatingWebhooks(ctx: ServerContext, attrs: AdmissionAttributes): Promise<void> {
  await runValidatingPolicies(ctx, attrs)
  const invocations = await matching(ctx, attrs, false)
  if (!invocations.length) return
  const outcomes = await Promise.allSettled(invocations.map((inv) => call(ctx, attrs, inv, false)))
  outcomes.forEach((o, i) => {
    if (o.status === 'rejected') throw o.reason
    if (o.value && !o.value.result.allowed) throw denied(invocations[i]!.hook.name, o.value.result.status)
  })
}

const CONNECT_KINDS = { exec: 'PodExecOptions', attach: 'PodAttachOptions', portforward: 'PodPortForwardOptions' } as const

/**
 * CONNECT admission of pods/exec|attach|portforward (upstream's ConnectResource): mutating, then
 * validating webhooks get the options object (PodExecOptions, …) from the query, before the
 * kubelet is dialled.
 */
export async function admitConnect(
  ctx: ServerContext,
  user: User,
  subresource: keyof typeof CONNECT_KINDS,
  namespace: string,
  name: string,
  query: URLSearchParams,
): Promise<void> {
  if (!ctx.webhooks.configured()) return
  const kind = CONNECT_KINDS[subresource]
  const flag = (k: string) => queryBool(query, k)
  const object: KubeObject =
    subresource === 'portforward'
      ? { kind, apiVersion: 'v1', ...(query.getAll('ports').length ? { ports: query.getAll('ports').map(Number) } : {}) }
      : {
          kind,
          apiVersion: 'v1',
          stdin: flag('stdin'),
          stdout: flag('stdout'),
          stderr: flag('stderr'),
          tty: flag('tty'),
          ...(query.get('container') ? { container: query.get('container') } : {}),
          ...(subresource === 'exec' ? { command: query.getAll('command') } : {}),
        }
  await admitPodSubresource(ctx, user, 'CONNECT', subresource, namespace, name, object, { group: '', version: 'v1', kind }, false)
}

/**
 * Admission of a pod subresource whose object is not a Pod: CONNECT's options, or the CREATE of
 * `pods/eviction` with its Eviction (upstream admits those before acting on the pod).
 */
export async function admitPodSubresource(
  ctx: ServerContext,
  user: User | undefined,
  operation: 'CONNECT' | 'CREATE',
  subresource: string,
  namespace: string,
  name: string,
  object: KubeObject,
  kind: { group: string; version: string; kind: string },
  dryRun: boolean,
): Promise<void> {
  if (!user || !ctx.webhooks.configured()) return
  const a: AdmissionAttributes = { operation, res: RES.pods, subresource, namespace, name, object, dryRun, user, kind }
  await runMutatingWebhooks(ctx, a)
  await runValidatingWebhooks(ctx, a)
}

/** Validating webhooks for an update of the `scale` subresource: the Scale objects, new and old. */
export async function validateScale(
  ctx: ServerContext,
  user: User | undefined,
  res: ResourceInfo,
  namespace: string | undefined,
  name: string,
  scale: KubeObject,
  oldScale: KubeObject,
  dryRun: boolean,
): Promise<void> {
  if (!user || !ctx.webhooks.configured()) return
  const kind = { group: 'autoscaling', version: 'v1', kind: 'Scale' }
  const options = { kind: 'UpdateOptions', apiVersion: 'meta.k8s.io/v1', ...(dryRun ? { dryRun: ['All'] } : {}) }
  await runValidatingWebhooks(ctx, {
    operation: 'UPDATE',
    res,
    subresource: 'scale',
    namespace,
    name,
    object: scale,
    oldObject: oldScale,
    dryRun,
    user,
    kind,
    options,
  })
}
