// POST pods/NAME/eviction (policy/v1 Eviction): delete a pod only if every
// PodDisruptionBudget covering it allows one more disruption. The budget's
// status.disruptionsAllowed is decremented (written with the budget's resourceVersion as a
// precondition, so two evictions cannot spend the same disruption) and the pod is recorded in
// status.disruptedPods until the disruption controller sees it gone. A refusal is 429
// TooManyRequests, which `kubectl drain` retries.
import type { ApiRequest, ApiResponse } from '../exchange'
import type { Pod } from 'kubernetes-types/core/v1'
import type { PodDisruptionBudget } from 'kubernetes-types/policy/v1'
import type { KubeObject } from '../../api/object'
import { labelSelectorFromObject, matchLabels, type LabelSelectorObject } from '../../api/selectors'
import { asObject, decodeBody, readBody } from '../body'
import { type ServerContext } from '../context'
import { nodeRestrictionEvict } from '../admission/node-restriction'
import { requestUser } from '../request-user'
import type { ResourceRequest } from '../request'
import { sendJson } from '../respond'
import { ApiError, errors, failure, success } from '../status'
import { isDryRun } from './object-checks'
import { deleteObject, type DeleteOptions } from './delete'
import { admitPodSubresource } from '../admission/webhooks'
import { RES } from '../../kit/resources'
import { rfc3339 } from '../../kit/time'

/** Upstream refuses once this many evicted pods wait for the disruption controller. */
const MAX_DISRUPTED_PODS = 2000
const CONFLICT_RETRIES = 5

const BUDGET_MESSAGE = "Cannot evict pod as it would violate the pod's disruption budget."

function tooManyRequests(cause: string): ApiError {
  return failure(429, 'TooManyRequests', BUDGET_MESSAGE, { causes: [{ reason: 'DisruptionBudget', message: cause }] })
}

function isReady(pod: Pod): boolean {
  return !!pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')
}

/** Pods a budget need not protect: finished, not started, or already going away. */
function canIgnoreBudget(pod: Pod): boolean {
  const phase = pod.status?.phase
  return phase === 'Succeeded' || phase === 'Failed' || phase === 'Pending' || !!pod.metadata?.deletionTimestamp
}

function readEviction(buf: Buffer, contentType: string | undefined, podName: string): { deleteOptions: Record<string, unknown> } {
  if (!buf.length) return { deleteOptions: {} }
  const body = asObject(decodeBody(buf, contentType).value, 'Eviction body')
  if (body.kind !== undefined && body.kind !== 'Eviction')
    throw errors.badRequest(`the body of a pods/eviction request must be an Eviction (got kind ${JSON.stringify(body.kind)})`)
  const name = body.metadata?.name
  if (name !== undefined && name !== podName) throw errors.badRequest(`name in URL does not match name in Eviction object (${podName} != ${String(name)})`)
  return { deleteOptions: (body.deleteOptions ?? {}) as Record<string, unknown> }
}

function toDeleteOptions(o: Record<string, unknown>, dryRun: boolean): DeleteOptions {
  const grace = o.gracePeriodSeconds
  const policy = o.propagationPolicy as DeleteOptions['propagationPolicy'] | undefined
  if (grace !== undefined && grace !== null && (typeof grace !== 'number' || !Number.isInteger(grace) || grace < 0)) {
    throw errors.badRequest(`deleteOptions.gracePeriodSeconds must be a non-negative integer (got ${JSON.stringify(grace)})`)
  }
  return {
    gracePeriodSeconds: typeof grace === 'number' ? grace : undefined,
    propagationPolicy: policy,
    preconditions: o.preconditions as DeleteOptions['preconditions'],
    dryRun,
  }
}

async function budgetsFor(ctx: ServerContext, pod: Pod): Promise<{ pdb: PodDisruptionBudget; rev: number }[]> {
  const all = (await ctx.objects.list(RES.pdbs, pod.metadata?.namespace)).items
  return all
    .map((s) => ({ pdb: s.obj as PodDisruptionBudget, rev: s.kv.modRevision }))
    .filter(({ pdb }) => {
      // policy/v1: a null selector matches nothing, an empty one every pod in the namespace.
      if (!pdb.spec?.selector) return false
      return matchLabels(labelSelectorFromObject(pdb.spec.selector as LabelSelectorObject), pod.metadata?.labels)
    })
}

/**
 * Checks the budget and, unless `dryRun`, spends one disruption. Returns false when the pod
 * may go without spending one (it is unhealthy and the budget allows that). Throws 429/403.
 */
async function checkAndDecrement(ctx: ServerContext, pod: Pod, pdb: PodDisruptionBudget, rev: number, dryRun: boolean): Promise<void> {
  const name = pdb.metadata!.name!
  const st = pdb.status ?? { currentHealthy: 0, desiredHealthy: 0, disruptionsAllowed: 0, expectedPods: 0 }
  if ((st.observedGeneration ?? 0) < (pdb.metadata?.generation ?? 0) || pdb.status === undefined) {
    throw tooManyRequests(`The disruption budget ${name} is still being processed by the server.`)
  }
  if (st.disruptionsAllowed < 0) throw errors.forbidden('pdb disruptions allowed is negative')
  if (Object.keys(st.disruptedPods ?? {}).length > MAX_DISRUPTED_PODS)
    throw errors.forbidden('DisruptedPods map too big - too many evictions not confirmed by PDB controller')
  if (st.disruptionsAllowed === 0) {
    throw tooManyRequests(`The disruption budget ${name} needs ${st.desiredHealthy} healthy pods and has ${st.currentHealthy} currently`)
  }
  if (dryRun) return
  const next = structuredClone(pdb) as PodDisruptionBudget & KubeObject
  next.status = {
    ...st,
    disruptionsAllowed: st.disruptionsAllowed - 1,
    disruptedPods: { ...(st.disruptedPods ?? {}), [pod.metadata!.name!]: rfc3339(ctx.now()) },
  }
  const written = await ctx.objects.update(RES.pdbs, next, rev)
  if (!written) throw errors.conflict(RES.pdbs, name)
}

/** Whether an unready pod may be evicted without spending a disruption (unhealthyPodEvictionPolicy). */
function unhealthyMayGo(pod: Pod, pdb: PodDisruptionBudget): boolean {
  if (isReady(pod)) return false
  if (pdb.spec?.unhealthyPodEvictionPolicy === 'AlwaysAllow') return true
  const st = pdb.status
  return !!st && (st.observedGeneration ?? 0) >= (pdb.metadata?.generation ?? 0) && st.desiredHealthy > 0 && st.currentHealthy >= st.desiredHealthy
}

/** Evict pod `name` in `namespace` as a policy/v1 Eviction would; exported for callers inside the server. */
export async function evictPod(ctx: ServerContext, namespace: string, name: string, deleteOptions: DeleteOptions): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    const cur = await ctx.objects.mustGet(RES.pods, namespace, name)
    const pod = cur.obj as Pod
    nodeRestrictionEvict(requestUser(ctx), cur.obj)
    if (!canIgnoreBudget(pod)) {
      const budgets = await budgetsFor(ctx, pod)
      if (budgets.length > 1) {
        throw failure(500, 'InternalError', 'This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.')
      }
      const b = budgets[0]
      if (b && !unhealthyMayGo(pod, b.pdb)) {
        try {
          await checkAndDecrement(ctx, pod, b.pdb, b.rev, deleteOptions.dryRun)
        } catch (e) {
          if (e instanceof ApiError && e.code === 409 && attempt < CONFLICT_RETRIES) continue
          throw e
        }
      }
    }
    // The pod the budget was checked against is the one deleted.
    const preconditions = { uid: String(pod.metadata?.uid), ...(deleteOptions.preconditions ?? {}) }
    await deleteObject(ctx, RES.pods, namespace, name, { ...deleteOptions, preconditions, skipWebhooks: true })
    return
  }
}

export async function handleEviction(ctx: ServerContext, request: ResourceRequest, req: ApiRequest, res: ApiResponse, query: URLSearchParams): Promise<void> {
  if (request.verb !== 'create') throw errors.methodNotAllowed(`${request.verb} is not supported on pods/eviction: POST a policy/v1 Eviction`)
  const ev = readEviction(await readBody(req), req.headers['content-type'], request.name!)
  const opts = toDeleteOptions(ev.deleteOptions, isDryRun(query, ev.deleteOptions as { dryRun?: unknown }))
  const eviction = {
    apiVersion: 'policy/v1',
    kind: 'Eviction',
    metadata: { name: request.name!, namespace: request.namespace! },
    ...(Object.keys(ev.deleteOptions).length ? { deleteOptions: ev.deleteOptions } : {}),
  }
  const kind = { group: 'policy', version: 'v1', kind: 'Eviction' }
  await admitPodSubresource(ctx, requestUser(ctx), 'CREATE', 'eviction', request.namespace!, request.name!, eviction, kind, opts.dryRun)
  await evictPod(ctx, request.namespace!, request.name!, opts)
  sendJson(req, res, 201, { ...success(), code: 201 })
}
