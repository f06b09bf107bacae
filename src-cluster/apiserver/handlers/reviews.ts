// Kinds that are created and answered but never stored: who am I, can I (for me or for another
// user), what may I do here, is this token valid. Answers come from the same authorizer that
// guards every request.
import type { ApiRequest, ApiResponse } from '../exchange'
import type { ServerContext, User } from '../context'
import type { ResourceRequest } from '../request'
import { sendJson } from '../respond'
import { errors } from '../status'
import type { Attributes } from '../authz'
import { API_AUDIENCES, checkLive, verifyServiceAccountToken } from '../tokens'
import { storeLookup } from '../auth'
import { readObject } from './write'

interface ReviewSpec {
  resourceAttributes?: { namespace?: string; verb?: string; group?: string; resource?: string; subresource?: string; name?: string }
  nonResourceAttributes?: { path?: string; verb?: string }
  user?: string
  groups?: string[]
  uid?: string
  namespace?: string
}

function attributesOf(spec: ReviewSpec): Attributes {
  const r = spec.resourceAttributes
  if (r) {
    return {
      kind: 'resource',
      verb: r.verb ?? '',
      group: r.group ?? '',
      resource: r.resource ?? '',
      subresource: r.subresource || undefined,
      namespace: r.namespace || undefined,
      name: r.name || undefined,
    }
  }
  const n = spec.nonResourceAttributes
  if (n) return { kind: 'nonresource', verb: n.verb ?? '', path: n.path ?? '' }
  throw errors.badRequest('spec needs resourceAttributes or nonResourceAttributes: say what action to check')
}

function accessStatus(ctx: ServerContext, u: User, spec: ReviewSpec): { allowed: boolean; reason?: string } {
  const d = ctx.authorizer.authorize(u, attributesOf(spec))
  return d.reason ? { allowed: d.allowed, reason: d.reason } : { allowed: d.allowed }
}

function rulesStatus(ctx: ServerContext, u: User, namespace: string | undefined): Record<string, unknown> {
  const rules = ctx.authorizer.rules(u, namespace)
  return {
    resourceRules: rules
      .filter((r) => !r.nonResourceURLs?.length)
      .map((r) => ({
        verbs: r.verbs ?? [],
        apiGroups: r.apiGroups ?? [],
        resources: r.resources ?? [],
        ...(r.resourceNames?.length ? { resourceNames: r.resourceNames } : {}),
      })),
    nonResourceRules: rules.filter((r) => r.nonResourceURLs?.length).map((r) => ({ verbs: r.verbs ?? [], nonResourceURLs: r.nonResourceURLs ?? [] })),
    incomplete: false,
  }
}

export async function handleReview(
  ctx: ServerContext,
  request: ResourceRequest,
  req: ApiRequest,
  res: ApiResponse,
  query: URLSearchParams,
  user: User,
): Promise<void> {
  const warnings: string[] = []
  const obj = await readObject(request, req, query, warnings)
  const base = { kind: request.res.kind, apiVersion: `${request.res.group}/${request.res.version}`, metadata: { creationTimestamp: null }, spec: obj.spec }
  switch (request.res.kind) {
    case 'SelfSubjectReview':
      sendJson(
        req,
        res,
        201,
        { ...base, status: { userInfo: { username: user.name, uid: user.uid, groups: user.groups, ...(user.extra ? { extra: user.extra } : {}) } } },
        warnings,
      )
      return
    case 'SelfSubjectAccessReview':
      sendJson(req, res, 201, { ...base, status: accessStatus(ctx, user, (obj.spec ?? {}) as ReviewSpec) }, warnings)
      return
    case 'SubjectAccessReview': {
      const spec = (obj.spec ?? {}) as ReviewSpec
      if (!spec.user && !spec.groups?.length) throw errors.badRequest('spec.user or spec.groups is required: say whose access to check')
      const subject: User = { name: spec.user ?? '', groups: spec.groups ?? [], uid: spec.uid }
      sendJson(req, res, 201, { ...base, status: accessStatus(ctx, subject, spec) }, warnings)
      return
    }
    case 'LocalSubjectAccessReview': {
      const spec = (obj.spec ?? {}) as ReviewSpec
      if (spec.resourceAttributes && spec.resourceAttributes.namespace !== request.namespace)
        throw errors.badRequest(`spec.resourceAttributes.namespace must be the review's namespace "${request.namespace}"`)
      const subject: User = { name: spec.user ?? '', groups: spec.groups ?? [], uid: spec.uid }
      sendJson(
        req,
        res,
        201,
        { ...base, metadata: { namespace: request.namespace, creationTimestamp: null }, status: accessStatus(ctx, subject, spec) },
        warnings,
      )
      return
    }
    case 'SelfSubjectRulesReview': {
      const ns = ((obj.spec ?? {}) as ReviewSpec).namespace || undefined
      sendJson(req, res, 201, { ...base, status: rulesStatus(ctx, user, ns) }, warnings)
      return
    }
    case 'TokenReview': {
      const spec = (obj.spec ?? {}) as { token?: unknown; audiences?: unknown }
      const token = String(spec.token ?? '')
      // Audiences the caller accepts; none given means the API server's own (as upstream).
      const wanted = Array.isArray(spec.audiences) && spec.audiences.length ? spec.audiences.map(String) : API_AUDIENCES
      const v = verifyServiceAccountToken(ctx.pki.serviceAccountPubPem, token, ctx.now(), wanted)
      const dead = v && (await checkLive(v, storeLookup(ctx.objects), ctx.now()))
      const status =
        v && !dead
          ? {
              authenticated: true,
              user: {
                username: v.user,
                uid: v.uid,
                groups: v.groups,
                ...(v.pod ? { extra: { 'authentication.kubernetes.io/pod-name': [v.pod.name], 'authentication.kubernetes.io/pod-uid': [v.pod.uid] } } : {}),
              },
              audiences: v.audiences,
            }
          : { authenticated: false, error: dead ?? 'the token is not a valid, unexpired service-account token of this cluster for the audiences asked for' }
      sendJson(req, res, 201, { ...base, status }, warnings)
      return
    }
  }
  throw errors.methodNotAllowed(`${request.res.kind} cannot be created here`)
}
