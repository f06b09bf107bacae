// DELETE of one object and of collections: preconditions, graceful deletion of pods bound to a
// node, finalizers (deletionTimestamp first, removal when the last finalizer goes),
// propagation policies (orphan and foreground are finalizers the garbage collector honours),
// and namespaces that turn Terminating until their content is gone.
import type { ApiRequest, ApiResponse } from '../exchange'
import type { KubeObject } from '../../api/object'
import { apiVersionOf, type ResourceInfo } from '../../api/resources'
import { asObject, decodeBody, readBody } from '../body'
import { type ServerContext } from '../context'
import { nodeRestrictionDelete } from '../admission/node-restriction'
import { requestUser } from '../request-user'
import { releaseOnDelete } from '../registry/strategies'
import type { ResourceRequest } from '../request'
import { sendJson } from '../respond'
import { errors } from '../status'
import { isDryRun } from './object-checks'
import { listObjects, checkIntegerListOptions } from './read'
import { withTypeMeta } from '../type-meta'
import { strategyContext, webhookAttributes } from './write'
import { runMutatingWebhooks, runValidatingWebhooks } from '../admission/webhooks'
import { rfc3339 } from '../../kit/time'

/** Namespaces the cluster itself needs. */
export const IMMORTAL_NAMESPACES: ReadonlySet<string> = new Set(['default', 'kube-system', 'kube-public', 'kube-node-lease'])

export interface DeleteOptions {
  gracePeriodSeconds?: number
  propagationPolicy?: 'Orphan' | 'Background' | 'Foreground'
  preconditions?: { uid?: string; resourceVersion?: string }
  dryRun: boolean
  /** An eviction's delete: admitted as the eviction, not sent to webhooks again (as upstream). */
  skipWebhooks?: boolean
}

export async function readDeleteOptions(req: ApiRequest, query: URLSearchParams): Promise<DeleteOptions> {
  const buf = await readBody(req)
  const body = buf.length ? asObject(decodeBody(buf, req.headers['content-type'] ?? 'application/json').value, 'DeleteOptions') : {}
  const grace = query.get('gracePeriodSeconds') ?? body.gracePeriodSeconds
  const policy = (query.get('propagationPolicy') ?? body.propagationPolicy) as DeleteOptions['propagationPolicy'] | undefined
  if (policy !== undefined && !['Orphan', 'Background', 'Foreground'].includes(policy)) {
    throw errors.badRequest(`propagationPolicy must be Orphan, Background or Foreground (got ${JSON.stringify(policy)})`)
  }
  if (body.orphanDependents !== undefined && policy !== undefined) throw errors.badRequest('use propagationPolicy or orphanDependents, not both')
  const g = grace === undefined || grace === null ? undefined : Number(grace)
  if (g !== undefined && (!Number.isInteger(g) || g < 0))
    throw errors.badRequest(`gracePeriodSeconds must be a non-negative integer (got ${JSON.stringify(grace)})`)
  return {
    gracePeriodSeconds: g,
    propagationPolicy: policy ?? (body.orphanDependents === true ? 'Orphan' : undefined),
    preconditions: body.preconditions as DeleteOptions['preconditions'],
    dryRun: isDryRun(query, body as { dryRun?: unknown }),
  }
}

/** Grace period a pod gets: none unless it is bound to a node and still running. */
function podGrace(obj: KubeObject, opts: DeleteOptions): number {
  const spec = (obj.spec ?? {}) as { nodeName?: string; terminationGracePeriodSeconds?: number }
  const phase = (obj.status as { phase?: string } | undefined)?.phase
  if (!spec.nodeName || phase === 'Succeeded' || phase === 'Failed') return 0
  return opts.gracePeriodSeconds ?? spec.terminationGracePeriodSeconds ?? 30
}

function defaultPolicy(res: ResourceInfo): DeleteOptions['propagationPolicy'] {
  // Upstream keeps orphaning as the default for a few legacy kinds only; Background elsewhere.
  return res.kind === 'ReplicationController' ? 'Orphan' : 'Background'
}

/** Delete one object; returns what the client gets back (the object, or its last state). */
export async function deleteObject(
  ctx: ServerContext,
  res: ResourceInfo,
  namespace: string | undefined,
  name: string,
  opts: DeleteOptions,
): Promise<{ obj: KubeObject; gone: boolean }> {
  // Upstream's NamespaceLifecycle admission: the system namespaces stay (dry runs included).
  if (res.group === '' && res.kind === 'Namespace' && IMMORTAL_NAMESPACES.has(name))
    throw errors.forbiddenObject(res, name, 'this namespace may not be deleted')
  let admitted = false
  for (let attempt = 0; attempt < 20; attempt++) {
    const cur = await ctx.objects.mustGet(res, namespace, name)
    nodeRestrictionDelete(requestUser(ctx), res, cur.obj)
    // Admission webhooks see the DELETE once, with the object as it is (upstream's oldObject).
    const hooks =
      admitted || opts.skipWebhooks
        ? undefined
        : webhookAttributes(ctx, res, 'DELETE', namespace, name, {
            oldObject: withTypeMeta(res, structuredClone(cur.obj)),
            dryRun: opts.dryRun,
            options: {
              kind: 'DeleteOptions',
              apiVersion: 'meta.k8s.io/v1',
              ...(opts.gracePeriodSeconds !== undefined ? { gracePeriodSeconds: opts.gracePeriodSeconds } : {}),
              ...(opts.propagationPolicy ? { propagationPolicy: opts.propagationPolicy } : {}),
              ...(opts.dryRun ? { dryRun: ['All'] } : {}),
            },
          })
    if (hooks) {
      await runMutatingWebhooks(ctx, hooks)
      await runValidatingWebhooks(ctx, hooks)
    }
    admitted = true
    const obj = withTypeMeta(res, structuredClone(cur.obj))
    const meta = obj.metadata!
    if (opts.preconditions?.uid && opts.preconditions.uid !== meta.uid) {
      throw errors.conflict(res, name, `Precondition failed: UID in precondition: ${opts.preconditions.uid}, UID in object meta: ${String(meta.uid)}`)
    }
    if (opts.preconditions?.resourceVersion && opts.preconditions.resourceVersion !== meta.resourceVersion) {
      throw errors.conflict(
        res,
        name,
        `Precondition failed: ResourceVersion in precondition: ${opts.preconditions.resourceVersion}, ResourceVersion in object meta: ${String(meta.resourceVersion)}`,
      )
    }
    const policy = opts.propagationPolicy ?? defaultPolicy(res)
    const finalizers = new Set(meta.finalizers ?? [])
    if (policy === 'Orphan') finalizers.add('orphan')
    if (policy === 'Foreground') finalizers.add('foregroundDeletion')
    const grace = res.kind === 'Pod' ? podGrace(obj, opts) : 0
    const isNamespace = res.kind === 'Namespace'
    const nsFinalizers = isNamespace ? ((obj.spec as { finalizers?: string[] } | undefined)?.finalizers ?? []) : []
    const mustWait = finalizers.size > 0 || grace > 0 || nsFinalizers.length > 0

    if (!mustWait) {
      if (opts.dryRun) return { obj, gone: true }
      const gone = await ctx.objects.delete(res, obj, cur.kv.modRevision)
      if (!gone) continue
      releaseOnDelete(res, gone, strategyContext(ctx, false))
      return { obj: gone, gone: true }
    }
    // Mark for deletion; finalizers' owners (or the kubelet, for pods) finish it.
    const now = ctx.now()
    if (!meta.deletionTimestamp) {
      meta.deletionTimestamp = rfc3339(new Date(now.getTime() + grace * 1000))
      meta.deletionGracePeriodSeconds = grace
    } else if (res.kind === 'Pod' && grace < (meta.deletionGracePeriodSeconds ?? Infinity)) {
      // A shorter grace period (e.g. --force) brings the deadline forward.
      meta.deletionTimestamp = rfc3339(new Date(now.getTime() + grace * 1000))
      meta.deletionGracePeriodSeconds = grace
      if (grace === 0 && finalizers.size === 0) {
        if (opts.dryRun) return { obj, gone: true }
        const gone = await ctx.objects.delete(res, obj, cur.kv.modRevision)
        if (!gone) continue
        return { obj: gone, gone: true }
      }
    }
    if (finalizers.size) meta.finalizers = [...finalizers]
    if (isNamespace) obj.status = { ...((obj.status as object) ?? {}), phase: 'Terminating' }
    if (opts.dryRun) return { obj, gone: false }
    const updated = await ctx.objects.update(res, obj, cur.kv.modRevision)
    if (!updated) continue
    return { obj: updated, gone: false }
  }
  throw errors.conflict(res, name, 'too many concurrent writers; try again')
}

export async function handleDelete(ctx: ServerContext, request: ResourceRequest, req: ApiRequest, res: ApiResponse, query: URLSearchParams): Promise<void> {
  const opts = await readDeleteOptions(req, query)
  const out = await deleteObject(ctx, request.res, request.namespace, request.name!, opts)
  // Upstream answers 200 with the object while it still exists (finalizers, grace), else 200
  // with the last state for kinds that return it — kubectl accepts both.
  sendJson(req, res, 200, out.obj)
}

export async function handleDeleteCollection(
  ctx: ServerContext,
  request: ResourceRequest,
  req: ApiRequest,
  res: ApiResponse,
  query: URLSearchParams,
): Promise<void> {
  checkIntegerListOptions(query)
  const opts = await readDeleteOptions(req, query)
  const listQ = new URLSearchParams(query)
  listQ.delete('limit')
  listQ.delete('continue')
  const { items, revision } = await listObjects(ctx, request, listQ)
  const deleted: KubeObject[] = []
  for (const item of items) {
    try {
      deleted.push((await deleteObject(ctx, request.res, item.metadata?.namespace, item.metadata!.name!, opts)).obj)
    } catch (e) {
      // An object deleted meanwhile is fine; anything else stops the collection delete.
      if (!(e instanceof Error && 'status' in e && (e as { code?: number }).code === 404)) throw e
    }
  }
  sendJson(req, res, 200, {
    kind: `${request.res.kind}List`,
    apiVersion: apiVersionOf(request.res),
    metadata: { resourceVersion: String(revision) },
    items: deleted,
  })
}
