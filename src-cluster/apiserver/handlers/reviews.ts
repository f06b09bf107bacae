// Kinds that are created and answered but never stored: who am I, can I, is this token valid.
// Authorization is "every authenticated user may do everything" until RBAC enforcement lands,
// and these answers say so rather than pretending to evaluate rules.
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { ServerContext, User } from '../context'
import type { ResourceRequest } from '../request'
import { sendJson } from '../respond'
import { errors } from '../status'
import { verifyServiceAccountToken } from '../tokens'
import { readObject } from './write'

const ALLOW_REASON = 'KubeLab allows every authenticated user (RBAC rules are stored but not enforced yet)'

export async function handleReview(ctx: ServerContext, r: ResourceRequest, req: IncomingMessage, res: ServerResponse, q: URLSearchParams, user: User): Promise<void> {
  const warnings: string[] = []
  const obj = await readObject(r, req, q, warnings)
  const base = { kind: r.res.kind, apiVersion: `${r.res.group}/${r.res.version}`, metadata: { creationTimestamp: null }, spec: obj.spec }
  switch (r.res.kind) {
    case 'SelfSubjectReview':
      sendJson(req, res, 201, { ...base, status: { userInfo: { username: user.name, uid: user.uid, groups: user.groups } } }, warnings)
      return
    case 'SelfSubjectAccessReview':
    case 'SubjectAccessReview':
      sendJson(req, res, 201, { ...base, status: { allowed: true, reason: ALLOW_REASON } }, warnings)
      return
    case 'TokenReview': {
      const token = String((obj.spec as { token?: unknown } | undefined)?.token ?? '')
      const v = verifyServiceAccountToken(ctx.pki.serviceAccountPubPem, token, ctx.now())
      const status = v
        ? { authenticated: true, user: { username: v.user, uid: v.uid, groups: v.groups } }
        : { authenticated: false, error: 'the token is not a valid, unexpired service-account token of this cluster' }
      sendJson(req, res, 201, { ...base, status }, warnings)
      return
    }
  }
  throw errors.methodNotAllowed(`${r.res.kind} cannot be created here`)
}
