// Authorize or answer 403 with upstream's message.
import type { ServerContext, User } from '../context'
import { errors } from '../status'
import { forbiddenMessage, type Attributes } from './attributes'

export function authorizeOrThrow(ctx: ServerContext, user: User, attrs: Attributes): void {
  const d = ctx.authorizer.authorize(user, attrs)
  if (!d.allowed) throw errors.forbidden(forbiddenMessage(user, attrs, d.reason))
}
