// Subresources other than status: scale (autoscaling/v1 Scale over a workload's
// spec.replicas), pods/binding (the scheduler's decision), serviceaccounts/token.
import type { ApiRequest, ApiResponse } from '../exchange'
import type { KubeObject } from '../../api/object'
import { fieldErr } from '../../api/errors'
import { labelSelectorFromObject, selectorToString } from '../../api/selectors'
import { applyPatch, patchTypeFromContentType } from '../patch'
import { asObject, decodeBody, readBody } from '../body'
import { type ServerContext } from '../context'
import { nodeRestrictionToken } from '../admission/node-restriction'
import { requestUser } from '../request-user'
import type { ResourceRequest } from '../request'
import type { ResourceInfo } from '../../api/resources'
import { sendJson } from '../respond'
import { errors, success } from '../status'
import { API_AUDIENCES, issueServiceAccountToken, type BoundObject } from '../tokens'
import { findResource } from '../../api/resources'
import { checkFields, checkTypeMeta, fieldValidationParam, isDryRun } from './object-checks'
import { asStatus, guaranteedUpdate } from './write'
import { validateScale } from '../admission/webhooks'
import { updateTracker, writeIdentity } from '../fieldmanager'
import { rfc3339 } from '../../kit/time'

const PODS = findResource('', 'v1', 'pods')!
const SECRETS = findResource('', 'v1', 'secrets')!

const SCALE_STRUCT = 'io.k8s.api.autoscaling.v1.Scale'
const SCALE_INFO = { group: 'autoscaling', version: 'v1', kind: 'Scale', plural: 'scale', schema: SCALE_STRUCT } as const

type ScalePaths = NonNullable<NonNullable<ResourceInfo['dynamic']>['scale']>

/** `.spec.replicas` → ["spec", "replicas"] (scale paths are plain dotted JSON paths). */
function pathKeys(path: string): string[] {
  return path.replace(/^\./, '').split('.').filter(Boolean)
}

function getPath(obj: unknown, path: string): unknown {
  let cur = obj
  for (const k of pathKeys(path)) cur = cur && typeof cur === 'object' ? (cur as Record<string, unknown>)[k] : undefined
  return cur
}

function setPath(obj: Record<string, unknown>, path: string, value: unknown): void {
  const keys = pathKeys(path)
  let cur = obj
  for (const k of keys.slice(0, -1)) {
    const next = cur[k]
    cur = cur[k] = next && typeof next === 'object' && !Array.isArray(next) ? { ...(next as Record<string, unknown>) } : {}
  }
  cur[keys[keys.length - 1]!] = value
}

/** A custom resource's Scale: replicas and selector from the CRD's scale paths. */
function customScale(obj: KubeObject, paths: ScalePaths): KubeObject {
  const meta = obj.metadata!
  const want = getPath(obj, paths.specReplicasPath)
  const have = getPath(obj, paths.statusReplicasPath)
  const sel = paths.labelSelectorPath ? getPath(obj, paths.labelSelectorPath) : undefined
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: { name: meta.name, namespace: meta.namespace, uid: meta.uid, resourceVersion: meta.resourceVersion, creationTimestamp: meta.creationTimestamp },
    spec: { replicas: typeof want === 'number' ? want : 0 },
    status: { replicas: typeof have === 'number' ? have : 0, ...(typeof sel === 'string' && sel ? { selector: sel } : {}) },
  }
}

function toScale(obj: KubeObject, paths?: ScalePaths): KubeObject {
  if (paths) return customScale(obj, paths)
  const spec = (obj.spec ?? {}) as { replicas?: number; selector?: Record<string, unknown> }
  const status = (obj.status ?? {}) as { replicas?: number }
  const meta = obj.metadata!
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: { name: meta.name, namespace: meta.namespace, uid: meta.uid, resourceVersion: meta.resourceVersion, creationTimestamp: meta.creationTimestamp },
    spec: { replicas: spec.replicas ?? 0 },
    status: {
      replicas: status.replicas ?? 0,
      selector: spec.selector
        ? selectorToString(labelSelectorFromObject(obj.kind === 'ReplicationController' ? { matchLabels: spec.selector } : spec.selector))
        : '',
    },
  }
}

export async function handleScale(ctx: ServerContext, request: ResourceRequest, req: ApiRequest, res: ApiResponse, query: URLSearchParams): Promise<void> {
  if (request.verb === 'get') {
    const cur = await ctx.objects.mustGet(request.res, request.namespace, request.name!)
    sendJson(req, res, 200, toScale(cur.obj, request.res.dynamic?.scale))
    return
  }
  if (request.verb !== 'update' && request.verb !== 'patch')
    throw errors.methodNotAllowed(`${request.verb} is not supported on ${request.res.plural}/scale: use get, update or patch`)
  const buf = await readBody(req)
  const mode = fieldValidationParam(query)
  const warnings: string[] = []
  const scaleRes = { ...request.res, ...SCALE_INFO, namespaced: true, singular: 'scale' }
  const patchType = request.verb === 'patch' ? patchTypeFromContentType(req.headers['content-type']) : undefined
  if (request.verb === 'patch' && !patchType) throw errors.unsupportedMediaType(req.headers['content-type'] ?? '')
  const who = writeIdentity(query, req.headers, request.verb === 'patch' ? 'PatchOptions' : 'UpdateOptions', patchType === 'apply')
  const out = await guaranteedUpdate(
    ctx,
    request.res,
    request.namespace,
    request.name!,
    (current) => {
      const scale = toScale(current, request.res.dynamic?.scale)
      let wanted: KubeObject
      if (patchType) {
        // As for other patches: only a resourceVersion the patch sets is a precondition.
        delete scale.metadata!.resourceVersion
        wanted = asStatus(() => applyPatch(patchType, scale, buf, SCALE_STRUCT))
      } else {
        wanted = asObject(decodeBody(buf, req.headers['content-type']).value, 'Scale body')
      }
      checkTypeMeta(scaleRes, wanted, 'Scale', 'autoscaling/v1')
      wanted = checkFields(scaleRes, wanted, mode, warnings, undefined, SCALE_STRUCT)
      const replicas = (wanted.spec as { replicas?: unknown } | undefined)?.replicas ?? 0
      if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0) {
        throw errors.invalid({ group: 'autoscaling', kind: 'Scale' }, request.name!, [
          fieldErr.invalid('spec.replicas', replicas, 'must be greater than or equal to 0'),
        ])
      }
      const next = structuredClone(current)
      if (request.res.dynamic?.scale) setPath(next, request.res.dynamic.scale.specReplicasPath, replicas)
      else next.spec = { ...((next.spec as object) ?? {}), replicas }
      const rv = wanted.metadata?.resourceVersion
      next.metadata = { ...next.metadata, resourceVersion: rv && rv !== '' ? rv : undefined }
      return next
    },
    // Recorded on the parent object as upstream does: its apiVersion, subresource "scale".
    // Webhooks get the Scale objects (validating ones; mutating webhooks are not called for scale).
    {
      dryRun: isDryRun(query),
      fields: updateTracker(request.res, { manager: who.manager, subresource: 'scale' }, ctx.now),
      webhooks: false,
      validateView: (next, current) =>
        validateScale(
          ctx,
          requestUser(ctx),
          request.res,
          request.namespace,
          request.name!,
          toScale(next, request.res.dynamic?.scale),
          toScale(current, request.res.dynamic?.scale),
          isDryRun(query),
        ),
    },
  )
  sendJson(req, res, 200, toScale(out.obj, request.res.dynamic?.scale), warnings)
}

/** POST pods/NAME/binding: set spec.nodeName once, as the scheduler does. */
export async function handleBinding(ctx: ServerContext, request: ResourceRequest, req: ApiRequest, res: ApiResponse, query: URLSearchParams): Promise<void> {
  const body = asObject(decodeBody(await readBody(req), req.headers['content-type']).value, 'Binding body')
  const target = (body.target ?? {}) as { kind?: string; name?: string }
  if (!target.name) throw errors.invalid({ group: '', kind: 'Binding' }, request.name!, [fieldErr.required('target.name')])
  if (target.kind && target.kind !== 'Node')
    throw errors.invalid({ group: '', kind: 'Binding' }, request.name!, [fieldErr.notSupported('target.kind', target.kind, ['Node'])])
  const nodeName = target.name
  await guaranteedUpdate(
    ctx,
    request.res,
    request.namespace,
    request.name!,
    (pod) => {
      const spec = (pod.spec ?? {}) as { nodeName?: string }
      if (pod.metadata?.deletionTimestamp) throw errors.conflict(request.res, request.name!, 'pod is being deleted, cannot be assigned to a host')
      if (spec.nodeName) throw errors.conflict(request.res, request.name!, `pod ${request.name} is already assigned to node "${spec.nodeName}"`)
      spec.nodeName = nodeName
      pod.spec = spec
      const status = (pod.status ?? {}) as { conditions?: Record<string, unknown>[] }
      const conds = (status.conditions ?? []).filter((c) => c.type !== 'PodScheduled')
      conds.push({ type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: rfc3339(ctx.now()) })
      status.conditions = conds
      pod.status = status
      // Binding may carry annotations for the pod (upstream copies them).
      const ann = (body.metadata as { annotations?: Record<string, string> } | undefined)?.annotations
      if (ann) pod.metadata = { ...pod.metadata, annotations: { ...(pod.metadata?.annotations ?? {}), ...ann } }
      delete pod.metadata?.resourceVersion
      return pod
    },
    { dryRun: isDryRun(query), subresource: 'binding' },
  )
  sendJson(req, res, 201, { ...success(), code: 201 })
}

const TOKEN_KIND = { group: 'authentication.k8s.io', kind: 'TokenRequest' }
const MAX_EXPIRATION_SECONDS = 2 ** 32

/**
 * POST serviceaccounts/NAME/token (TokenRequest), as upstream's token REST: a signed, expiring
 * token for the API server's audiences unless others are asked for, optionally bound to a Pod
 * (which must exist, run as this ServiceAccount and carry the given uid) or a Secret.
 */
export async function handleToken(ctx: ServerContext, request: ResourceRequest, req: ApiRequest, res: ApiResponse): Promise<void> {
  const sa = await ctx.objects.mustGet(request.res, request.namespace, request.name!)
  const body = asObject(decodeBody(await readBody(req), req.headers['content-type']).value, 'TokenRequest body')
  const spec = (body.spec ?? {}) as {
    audiences?: string[]
    expirationSeconds?: number
    boundObjectRef?: { apiVersion?: string; kind?: string; name?: string; uid?: string }
  }
  await nodeRestrictionToken(ctx, requestUser(ctx), request.res, request.namespace!, request.name!, spec.boundObjectRef)
  const expirationSeconds = spec.expirationSeconds ?? 3600
  if (typeof expirationSeconds !== 'number' || !Number.isInteger(expirationSeconds) || expirationSeconds < 600) {
    throw errors.invalid(TOKEN_KIND, request.name!, [
      fieldErr.invalid('spec.expirationSeconds', expirationSeconds, 'may not specify a duration less than 10 minutes'),
    ])
  }
  if (expirationSeconds > MAX_EXPIRATION_SECONDS) {
    throw errors.invalid(TOKEN_KIND, request.name!, [
      fieldErr.invalid('spec.expirationSeconds', expirationSeconds, 'may not specify a duration larger than 2^32 seconds'),
    ])
  }
  if (spec.audiences !== undefined && (!Array.isArray(spec.audiences) || spec.audiences.some((a) => typeof a !== 'string'))) {
    throw errors.badRequest('spec.audiences must be a list of strings')
  }
  let bound: BoundObject | undefined
  const ref = spec.boundObjectRef
  if (ref) {
    const kind = ref.kind ?? ''
    const target = kind === 'Pod' ? PODS : kind === 'Secret' ? SECRETS : undefined
    if (!target || (ref.apiVersion ?? 'v1') !== 'v1') throw errors.badRequest(`cannot bind token to object of type ${ref.apiVersion ?? ''}, Kind=${kind}`)
    if (!ref.name) throw errors.invalid(TOKEN_KIND, request.name!, [fieldErr.required('spec.boundObjectRef.name')])
    const obj = (await ctx.objects.mustGet(target, request.namespace, ref.name)).obj
    if (kind === 'Pod' && ((obj.spec as { serviceAccountName?: string } | undefined)?.serviceAccountName || 'default') !== request.name) {
      throw errors.badRequest(`cannot bind token for serviceaccount "${request.name}" to pod running with different serviceaccount name.`)
    }
    const uid = String(obj.metadata?.uid)
    if (ref.uid && ref.uid !== uid) {
      throw errors.conflict(
        { group: '', plural: kind },
        ref.name,
        `the UID in the bound object reference (${ref.uid}) does not match the UID in record. The object might have been deleted and then recreated`,
      )
    }
    bound = { kind, name: ref.name, uid }
  }
  const now = ctx.now()
  const expires = new Date(now.getTime() + expirationSeconds * 1000)
  const audiences = spec.audiences?.length ? spec.audiences : [...API_AUDIENCES]
  const token = issueServiceAccountToken(ctx.pki.serviceAccountKeyPem, {
    namespace: request.namespace!,
    name: request.name!,
    uid: String(sa.obj.metadata?.uid),
    audiences,
    issuedAt: now,
    expires,
    boundObject: bound,
  })
  sendJson(req, res, 201, {
    kind: 'TokenRequest',
    apiVersion: 'authentication.k8s.io/v1',
    metadata: { name: request.name, namespace: request.namespace, creationTimestamp: null },
    spec: { audiences, expirationSeconds, boundObjectRef: ref ? { ...ref, apiVersion: ref.apiVersion ?? 'v1', uid: bound?.uid } : null },
    status: { token, expirationTimestamp: rfc3339(expires) },
  })
}
