// Who is making the current request, carried in the request's own ServerContext (as upstream
// carries it in the request context), so checks deep in the write path — RBAC escalation, node
// restriction — can ask without every handler passing it along. (Not an AsyncLocalStorage: its
// async hooks made every promise in the process slower and bigger.)
import type { ApiRequest } from './exchange'
import type { ServerContext, User } from './context'

/** The context a request's handlers get: the server's, with the request's user and message. */
export function requestContext(ctx: ServerContext, user: User, req: ApiRequest): ServerContext {
  return { ...ctx, requestUser: user, request: req }
}

/** The user of the request being served; undefined for the server's own writes (bootstrap). */
export function requestUser(ctx: ServerContext): User | undefined {
  return ctx.requestUser
}
