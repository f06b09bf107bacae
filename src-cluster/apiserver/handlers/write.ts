// Create, update (PUT) and patch of objects and of their status subresource.
import { randomUUID } from 'node:crypto'
import type { ApiRequest, ApiResponse } from '../exchange'
import { isDeepStrictEqual } from 'node:util'
import type { FieldError } from '../../api/errors'
import type { KubeObject } from '../../api/object'
import { fieldErr } from '../../api/errors'
import { type ResourceInfo } from '../../api/resources'
import type { PersistentVolumeClaim, Pod } from 'kubernetes-types/core/v1'
import type { StorageClass } from 'kubernetes-types/storage/v1'
import type { Ingress, IngressClass } from 'kubernetes-types/networking/v1'
import { defaultStorageClassAdmission } from '../admission/default-storage-class'
import { defaultIngressClassAdmission } from '../admission/default-ingress-class'
import { defaultTolerationsAdmission } from '../admission/default-tolerations'
import { serviceAccountAdmission } from '../admission/service-account'
import { applyPatch, PatchError, patchTypeFromContentType } from '../patch'
import { checkApplyConfiguration } from '../patch/apply'
import { decodeYaml } from '../patch/body'
import { appliedTracker, applyWithOwnership, createByApply, updateTracker, writeIdentity, type ApplyRequest, type FieldTracker } from '../fieldmanager'
import { priorityAdmission, priorityClassAdmission } from '../admission/priority'
import { resourceQuotaAdmission } from '../admission/resource-quota'
import { limitRangerMutate, limitRangerValidate } from '../admission/limit-ranger'
import { asObject, decodeBody, readBody } from '../body'
import { checkRbacEscalation } from '../authz/escalation'
import { nodeRestrictionCreate, nodeRestrictionUpdate } from '../admission/node-restriction'
import { requestUser } from '../request-user'
import { csrCreateAdmission, csrSubjectRestriction, csrUpdate, isCsr } from '../admission/certificates'
import { type ServerContext } from '../context'
import { runMutatingWebhooks, runValidatingWebhooks, type AdmissionAttributes } from '../admission/webhooks'
import {
  prepareForCreate,
  prepareForStatusUpdate,
  prepareForUpdate,
  releaseOnDelete,
  specChanged,
  tracksGeneration,
  type StrategyContext,
} from '../registry/strategies'
import { decodeKv } from '../registry/objects'
import type { ResourceRequest } from '../request'
import { sendWritten } from './written'
import { errors, failure } from '../status'
import { applyDefaults, checkFields, checkTypeMeta, fieldValidationParam, isDryRun, validateOrThrow } from './object-checks'
import { withTypeMeta } from '../type-meta'
import { RES } from '../../kit/resources'
import { rfc3339 } from '../../kit/time'

/** Kinds a PUT may create when missing (upstream's AllowCreateOnUpdate). */
const CREATE_ON_UPDATE = new Set(['Endpoints', 'Event', 'Lease', 'EndpointSlice'])
const NAME_CHARS = 'bcdfghjklmnpqrstvwxz2456789'

export function strategyContext(ctx: ServerContext, dryRun: boolean): StrategyContext {
  return { serviceIPs: ctx.serviceIPs, nodePorts: ctx.nodePorts, dryRun }
}

function randomSuffix(): string {
  let s = ''
  for (let i = 0; i < 5; i++) s += NAME_CHARS[Math.floor(Math.random() * NAME_CHARS.length)]
  return s
}

/** The options object webhooks get with a request (upstream's CreateOptions/UpdateOptions). */
function writeOptions(kind: 'CreateOptions' | 'UpdateOptions' | 'PatchOptions', dryRun: boolean): Record<string, unknown> {
  return { kind, apiVersion: 'meta.k8s.io/v1', ...(dryRun ? { dryRun: ['All'] } : {}) }
}

/**
 * Admission attributes of a write made by a client (the server's own writes, with no request
 * user, are not sent to webhooks). A Namespace's own name is its namespace, as upstream sets it.
 */
export function webhookAttributes(
  ctx: ServerContext,
  res: ResourceInfo,
  operation: AdmissionAttributes['operation'],
  namespace: string | undefined,
  name: string,
  fields: Pick<AdmissionAttributes, 'object' | 'oldObject' | 'subresource' | 'options' | 'dryRun'>,
): AdmissionAttributes | undefined {
  const user = requestUser(ctx)
  if (!user || !ctx.webhooks.configured()) return undefined
  const ns = res.group === '' && res.plural === 'namespaces' ? name : namespace
  return { operation, res, namespace: ns, name, user, ...fields }
}

/** After mutating webhooks: what the server owns is put back, unknown fields dropped. */
function afterMutation(res: ResourceInfo, mutated: KubeObject, before: KubeObject): KubeObject {
  const out = checkFields(res, mutated, 'Ignore', [])
  const meta = { ...(out.metadata ?? {}) }
  const was = before.metadata ?? {}
  for (const k of [
    'name',
    'namespace',
    'uid',
    'creationTimestamp',
    'deletionTimestamp',
    'deletionGracePeriodSeconds',
    'generation',
    'managedFields',
  ] as const) {
    if (was[k] === undefined) delete meta[k]
    else (meta as Record<string, unknown>)[k] = was[k]
  }
  out.metadata = meta
  return out
}

export async function ensureNamespaceWritable(ctx: ServerContext, res: ResourceInfo, namespace: string | undefined): Promise<void> {
  if (!res.namespaced) return
  if (!namespace) throw errors.badRequest(`${res.kind} is namespaced: send it to /…/namespaces/NAMESPACE/${res.plural} (kubectl: -n NAMESPACE)`)
  // Every create asks this: the stored value is decoded only when it may say the namespace is going.
  const kv = await ctx.objects.getKv(RES.namespaces, undefined, namespace)
  if (!kv) throw failure(404, 'NotFound', `namespaces "${namespace}" not found`, { name: namespace, kind: 'namespaces' })
  if (kv.value.includes('"deletionTimestamp"') && decodeKv(kv).metadata?.deletionTimestamp) {
    throw failure(403, 'Forbidden', `${res.plural} "…" is forbidden: unable to create new content in namespace ${namespace} because it is being terminated`)
  }
}

function namespaceOf(res: ResourceInfo, r: ResourceRequest, obj: KubeObject): string | undefined {
  if (!res.namespaced) {
    if (obj.metadata) delete obj.metadata.namespace
    return undefined
  }
  const bodyNs = obj.metadata?.namespace
  if (bodyNs && r.namespace && bodyNs !== r.namespace) {
    throw errors.badRequest(`the namespace of the provided object (${bodyNs}) does not match the namespace sent on the request (${r.namespace})`)
  }
  return r.namespace ?? bodyNs
}

/** Decode, type-check and prune a request body into an object of `res`. */
export async function readObject(
  request: ResourceRequest,
  req: ApiRequest,
  query: URLSearchParams,
  warnings: string[],
  res = request.res,
): Promise<KubeObject> {
  return objectFromBody(res, await readBody(req), req.headers['content-type'], query, warnings)
}

function objectFromBody(res: ResourceInfo, buf: Buffer, contentType: string | undefined, query: URLSearchParams, warnings: string[]): KubeObject {
  if (buf.length === 0) throw errors.badRequest(`the request needs a ${res.kind} in its body`)
  const body = decodeBody(buf, contentType, res.kind)
  const obj = asObject(body.value, `${res.kind} body`)
  checkTypeMeta(res, obj)
  return checkFields(res, obj, fieldValidationParam(query), warnings, body.jsonText)
}

/**
 * Creates an object. `fields` decides its metadata.managedFields (the writer's entry); without
 * one the object is stored untracked.
 */
export async function createObject(
  ctx: ServerContext,
  res: ResourceInfo,
  input: KubeObject,
  namespace: string | undefined,
  dryRun: boolean,
  fields?: FieldTracker,
): Promise<KubeObject> {
  let obj = input
  if (res.kind !== 'Namespace') await ensureNamespaceWritable(ctx, res, namespace)
  const meta = { ...(obj.metadata ?? {}) }
  const sentManagedFields = meta.managedFields
  if (!meta.name && meta.generateName) meta.name = meta.generateName + randomSuffix()
  if (!meta.name) throw errors.invalid(res, '', [fieldErr.required('metadata.name', 'name or generateName is required')])
  if (res.namespaced) meta.namespace = namespace
  meta.uid = randomUUID()
  meta.creationTimestamp = rfc3339(ctx.now())
  delete meta.resourceVersion
  delete meta.deletionTimestamp
  delete meta.deletionGracePeriodSeconds
  delete meta.managedFields
  delete meta.selfLink
  obj.metadata = meta
  if (tracksGeneration(obj) || res.dynamic) meta.generation = 1
  else delete meta.generation
  applyDefaults(res, obj)
  // Ownership is decided on the decoded, defaulted object, before admission and the strategy (as upstream).
  const managed = fields?.created(obj, sentManagedFields)
  if (managed) obj.metadata = { ...obj.metadata, managedFields: managed }
  await admit(ctx, res, obj)
  await nodeRestrictionCreate(ctx, requestUser(ctx), res, obj)
  const hooks = webhookAttributes(ctx, res, 'CREATE', namespace, String(meta.name), { object: obj, dryRun, options: writeOptions('CreateOptions', dryRun) })
  if (hooks) {
    const mutated = await runMutatingWebhooks(ctx, hooks)
    if (mutated && mutated !== obj) obj = afterMutation(res, mutated, obj)
  }
  const sctx = strategyContext(ctx, dryRun)
  const allocErrs = prepareForCreate(res, obj, sctx)
  try {
    validateOrThrow(res, obj, undefined, allocErrs)
    checkRbacEscalation(ctx, requestUser(ctx), res, obj)
    // Validating admission runs last, on the object as it would be stored (as upstream).
    if (isCsr(res)) csrSubjectRestriction(obj)
    await limitRangerValidate(ctx, res, obj)
    if (hooks) await runValidatingWebhooks(ctx, { ...hooks, object: obj })
    await resourceQuotaAdmission(ctx, res, obj, undefined, dryRun)
  } catch (e) {
    if (!allocErrs.length) releaseOnDelete(res, obj, sctx)
    throw e
  }
  if (dryRun) return obj
  try {
    return await ctx.objects.create(res, obj)
  } catch (e) {
    releaseOnDelete(res, obj, sctx)
    throw e
  }
}

/** Mutating admission on create, as upstream's default plugins do. */
async function admit(ctx: ServerContext, res: ResourceInfo, obj: KubeObject): Promise<void> {
  if (isCsr(res)) csrCreateAdmission(obj, requestUser(ctx))
  await limitRangerMutate(ctx, res, obj)
  if (res.kind === 'Pod' && res.group === '') await priorityAdmission(ctx, obj as unknown as Pod)
  if (res.kind === 'PriorityClass' && res.group === 'scheduling.k8s.io') await priorityClassAdmission(ctx, obj)
  if (res.kind === 'Pod' && res.group === '') await serviceAccountAdmission(ctx, obj as unknown as Pod)
  if (res.kind === 'Pod') defaultTolerationsAdmission(obj as unknown as Pod, ctx.config.defaultTolerationSeconds)
  if (res.kind === 'PersistentVolumeClaim') {
    const classes = (await ctx.objects.list(RES.storageclasses, undefined)).items.map((s) => s.obj as unknown as StorageClass)
    defaultStorageClassAdmission(obj as unknown as PersistentVolumeClaim, classes)
  }
  if (res.kind === 'Ingress') {
    const classes = (await ctx.objects.list(RES.ingressclasses, undefined)).items.map((s) => s.obj as unknown as IngressClass)
    defaultIngressClassAdmission(obj as unknown as Ingress, classes)
  }
}

export async function handleCreate(ctx: ServerContext, request: ResourceRequest, req: ApiRequest, res: ApiResponse, query: URLSearchParams): Promise<void> {
  const warnings: string[] = []
  const who = writeIdentity(query, req.headers, 'CreateOptions')
  const obj = await readObject(request, req, query, warnings)
  const created = await createObject(
    ctx,
    request.res,
    obj,
    namespaceOf(request.res, request, obj),
    isDryRun(query),
    updateTracker(request.res, { manager: who.manager }, ctx.now),
  )
  sendWritten(ctx, req, res, 201, request.res, created, warnings)
}

export interface UpdateOptions {
  readonly dryRun: boolean
  readonly subresource?: 'status' | 'finalize' | 'binding' | 'approval'
  /** Decides metadata.managedFields; without it the stored entries are kept as they are. */
  readonly fields?: FieldTracker
  /** Make the object when missing (create-on-update, server-side apply). */
  readonly createIfMissing?: () => KubeObject | undefined
  /** `mutate` ignores the current object (a PUT's body replaces it): it gets the current object itself, not a copy. */
  readonly replaces?: boolean
  /** false: not sent to admission webhooks (the scale subresource, whose object is a Scale). */
  readonly webhooks?: boolean
  /** The options webhooks get (default UpdateOptions; PatchOptions for patches). */
  readonly webhookOptions?: Record<string, unknown>
  /** Validating admission of another view of the write (the scale subresource's Scale objects). */
  readonly validateView?: (next: KubeObject, current: KubeObject) => Promise<void>
}

/** Whether a deleting object has nothing left holding it. */
export function readyToDelete(obj: KubeObject): boolean {
  if (!obj.metadata?.deletionTimestamp) return false
  if (obj.metadata.finalizers?.length) return false
  if (obj.kind === 'Namespace') {
    const fin = (obj.spec as { finalizers?: unknown[] } | undefined)?.finalizers
    if (fin?.length) return false
  }
  return true
}

/**
 * Read-modify-write with retries on conflicting writes, the way upstream's GuaranteedUpdate
 * works. `mutate` gets a private copy of the current object. A resourceVersion in the result
 * that differs from the current one is a 409 (the client's precondition).
 */
export async function guaranteedUpdate(
  ctx: ServerContext,
  res: ResourceInfo,
  namespace: string | undefined,
  name: string,
  mutate: (current: KubeObject) => KubeObject,
  opts: UpdateOptions,
): Promise<{ obj: KubeObject; created: boolean }> {
  for (let attempt = 0; ; attempt++) {
    const cur = await ctx.objects.get(res, namespace, name)
    if (!cur) {
      const fresh = opts.createIfMissing?.()
      if (!fresh) throw errors.notFound(res, name)
      return { obj: await createObject(ctx, res, fresh, namespace, opts.dryRun, opts.fields), created: true }
    }
    const currentRv = String(cur.kv.modRevision)
    // A PUT replaces the object: its mutate never reads the current one, so no private copy.
    let next = mutate(opts.replaces ? cur.obj : structuredClone(cur.obj))
    const wantRv = next.metadata?.resourceVersion
    if (wantRv !== undefined && wantRv !== '' && wantRv !== currentRv) throw errors.conflict(res, name)
    const oldMeta = cur.obj.metadata!
    const meta = { ...(next.metadata ?? {}) }
    const sentManagedFields = meta.managedFields
    if (meta.name !== undefined && meta.name !== name)
      throw errors.badRequest(`the name of the object (${String(meta.name)}) does not match the name on the URL (${name})`)
    if (res.namespaced && meta.namespace !== undefined && meta.namespace !== namespace) {
      throw errors.badRequest(`the namespace of the object (${String(meta.namespace)}) does not match the namespace on the URL (${namespace})`)
    }
    // Fields the server owns.
    meta.name = name
    if (res.namespaced) meta.namespace = namespace
    meta.uid = oldMeta.uid
    meta.creationTimestamp = oldMeta.creationTimestamp
    if (oldMeta.deletionTimestamp) {
      meta.deletionTimestamp = oldMeta.deletionTimestamp
      meta.deletionGracePeriodSeconds = oldMeta.deletionGracePeriodSeconds
    } else {
      delete meta.deletionTimestamp
      delete meta.deletionGracePeriodSeconds
    }
    meta.generation = oldMeta.generation
    if (meta.generation === undefined) delete meta.generation
    delete meta.managedFields
    next.metadata = meta
    // Mutating webhooks see the object as written, defaulted, before the strategy (as upstream).
    // (Checked first: the attributes hold a copy of the current object, not worth making for nothing.)
    const hooks =
      opts.webhooks === false || opts.subresource === 'binding' || !ctx.webhooks.configured()
        ? undefined
        : webhookAttributes(ctx, res, 'UPDATE', namespace, name, {
            subresource: opts.subresource,
            oldObject: withTypeMeta(res, structuredClone(cur.obj)),
            dryRun: opts.dryRun,
            options: opts.webhookOptions ?? writeOptions('UpdateOptions', opts.dryRun),
          })
    if (hooks) {
      applyDefaults(res, next)
      hooks.object = withTypeMeta(res, next)
      const mutated = await runMutatingWebhooks(ctx, hooks)
      if (mutated && mutated !== hooks.object) next = afterMutation(res, mutated, next)
    }

    const sctx = strategyContext(ctx, opts.dryRun)
    let extra: FieldError[] = []
    if (opts.subresource === 'status' || opts.subresource === 'approval') {
      prepareForStatusUpdate(res, next, cur.obj)
    } else if (opts.subresource === 'finalize') {
      const spec = { ...((cur.obj.spec as object) ?? {}), finalizers: (next.spec as { finalizers?: unknown } | undefined)?.finalizers ?? [] }
      next.spec = spec
      next.status = cur.obj.status
    } else if (opts.subresource !== 'binding') {
      extra = prepareForUpdate(res, next, cur.obj, sctx)
    }
    if (isCsr(res)) extra = [...extra, ...csrUpdate(ctx, requestUser(ctx), opts.subresource, next, cur.obj)]
    applyDefaults(res, next)
    if (opts.subresource === undefined && (tracksGeneration(next) || res.dynamic) && specChanged(next, cur.obj)) {
      next.metadata!.generation = (typeof oldMeta.generation === 'number' ? oldMeta.generation : 1) + 1
    }
    const managed = opts.fields ? opts.fields.updated(cur.obj, next, sentManagedFields) : oldMeta.managedFields
    if (managed?.length) next.metadata = { ...next.metadata, managedFields: managed }
    else if (next.metadata) delete next.metadata.managedFields
    // A binding sets spec.nodeName, which a plain pod update may not change.
    validateOrThrow(res, next, opts.subresource === 'binding' ? undefined : cur.obj, extra)
    checkRbacEscalation(ctx, requestUser(ctx), res, next, cur.obj)
    nodeRestrictionUpdate(requestUser(ctx), res, opts.subresource, next, cur.obj)
    if (hooks) await runValidatingWebhooks(ctx, { ...hooks, object: withTypeMeta(res, next) })
    if (opts.validateView) await opts.validateView(next, cur.obj)
    if (opts.subresource === undefined && !readyToDelete(next)) await resourceQuotaAdmission(ctx, res, next, cur.obj, opts.dryRun)

    if (readyToDelete(next)) {
      if (opts.dryRun) return { obj: next, created: false }
      const gone = await ctx.objects.delete(res, next, cur.kv.modRevision)
      if (!gone) continue
      releaseOnDelete(res, next, sctx)
      return { obj: gone, created: false }
    }
    next.metadata!.resourceVersion = currentRv
    if (isDeepStrictEqual(next, cur.obj)) return { obj: cur.obj, created: false } // no-op: no new revision
    if (opts.dryRun) return { obj: next, created: false }
    const updated = await ctx.objects.update(res, next, cur.kv.modRevision)
    if (updated) return { obj: updated, created: false }
    if (wantRv) throw errors.conflict(res, name)
    if (attempt > 20) throw errors.conflict(res, name, 'too many concurrent writers; try again')
  }
}

export async function handleUpdate(ctx: ServerContext, request: ResourceRequest, req: ApiRequest, res: ApiResponse, query: URLSearchParams): Promise<void> {
  const warnings: string[] = []
  const sub = request.subresource as 'status' | 'finalize' | 'approval' | undefined
  const who = writeIdentity(query, req.headers, 'UpdateOptions')
  const buf = await readBody(req)
  const body = objectFromBody(request.res, buf, req.headers['content-type'], query, warnings)
  const dryRun = isDryRun(query)
  // The first attempt takes the body itself; a retry (a conflicting writer) decodes it again.
  let taken = false
  const fresh = (): KubeObject => {
    if (!taken) {
      taken = true
      return body
    }
    return objectFromBody(request.res, buf, req.headers['content-type'], query, [])
  }
  const out = await guaranteedUpdate(ctx, request.res, request.namespace, request.name!, fresh, {
    replaces: true,
    dryRun,
    subresource: sub,
    fields: updateTracker(request.res, { manager: who.manager, subresource: sub }, ctx.now),
    createIfMissing: sub === undefined && CREATE_ON_UPDATE.has(request.res.kind) ? fresh : undefined,
  })
  sendWritten(ctx, req, res, out.created ? 201 : 200, request.res, out.obj, warnings)
}

/** Run a patch step; a PatchError becomes the Status the client gets (400, 415 or 422). */
export function asStatus<T>(step: () => T): T {
  try {
    return step()
  } catch (e) {
    if (e instanceof PatchError) {
      const reason = e.code === 422 ? 'Invalid' : e.code === 415 ? 'UnsupportedMediaType' : e.code === 413 ? 'RequestEntityTooLarge' : 'BadRequest'
      throw failure(e.code, reason, e.message)
    }
    throw e
  }
}

export async function handlePatch(ctx: ServerContext, request: ResourceRequest, req: ApiRequest, res: ApiResponse, query: URLSearchParams): Promise<void> {
  const warnings: string[] = []
  const type = patchTypeFromContentType(req.headers['content-type'])
  if (!type) throw errors.unsupportedMediaType(req.headers['content-type'] ?? '')
  if (type === 'strategic' && request.res.dynamic) {
    throw failure(
      415,
      'UnsupportedMediaType',
      'the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml',
    )
  }
  const who = writeIdentity(query, req.headers, 'PatchOptions', type === 'apply')
  const buf = await readBody(req)
  const mode = fieldValidationParam(query)
  const dryRun = isDryRun(query)
  const sub = request.subresource as 'status' | 'approval' | undefined
  if (type === 'apply')
    return handleApply(
      ctx,
      request,
      req,
      res,
      buf,
      mode,
      { res: request.res, writer: { manager: who.manager, subresource: sub }, force: who.force, now: ctx.now },
      dryRun,
    )
  const out = await guaranteedUpdate(
    ctx,
    request.res,
    request.namespace,
    request.name!,
    (current) => {
      // Patch the object without its resourceVersion: a resourceVersion in the result then
      // comes from the patch itself (a precondition), and conflicting writes are retried. A JSON
      // patch keeps it, so its ops can test or replace it (kubectl's managedFields upgrade does).
      const base = withTypeMeta(request.res, current)
      base.metadata = { ...base.metadata }
      if (type !== 'json') delete base.metadata.resourceVersion
      const patched = asStatus(() => applyPatch(type, base, buf, request.res.schema, request.res.dynamic?.lookup))
      checkTypeMeta(request.res, patched)
      warnings.length = 0
      return checkFields(request.res, patched, mode, warnings)
    },
    {
      dryRun,
      subresource: sub,
      fields: updateTracker(request.res, { manager: who.manager, subresource: sub }, ctx.now),
      webhookOptions: { ...writeOptions('PatchOptions', dryRun), fieldManager: who.manager },
    },
  )
  sendWritten(ctx, req, res, 200, request.res, out.obj, warnings)
}

/** Server-side apply: merge with field ownership; creates the object when it is missing. */
async function handleApply(
  ctx: ServerContext,
  r: ResourceRequest,
  req: ApiRequest,
  res: ApiResponse,
  buf: Buffer,
  mode: ReturnType<typeof fieldValidationParam>,
  apply: ApplyRequest,
  dryRun: boolean,
): Promise<void> {
  const warnings: string[] = []
  const config = asStatus(() => checkApplyConfiguration(decodeYaml(buf, 'apply patch'))) as KubeObject
  checkTypeMeta(r.res, config)
  const applied = checkFields(r.res, config, mode, warnings)
  const out = await guaranteedUpdate(
    ctx,
    r.res,
    r.namespace,
    r.name!,
    (current) => {
      const live = withTypeMeta(r.res, current)
      live.metadata = { ...live.metadata }
      delete live.metadata.resourceVersion
      return asStatus(() => applyWithOwnership(apply, live, structuredClone(applied)))
    },
    {
      dryRun,
      subresource: apply.writer.subresource as 'status' | 'approval' | undefined,
      fields: appliedTracker,
      webhookOptions: { ...writeOptions('PatchOptions', dryRun), fieldManager: apply.writer.manager, ...(apply.force ? { force: true } : {}) },
      createIfMissing: apply.writer.subresource === undefined ? () => createByApply(apply, structuredClone(applied)) : undefined,
    },
  )
  sendWritten(ctx, req, res, out.created ? 201 : 200, r.res, out.obj, warnings)
}
