// Warnings collected while a request is served (as upstream's request-scoped warning recorder):
// admission webhooks add theirs deep in the write path (through the request's ServerContext);
// every answer to the request, errors included, carries them as `Warning: 299 - "…"` headers,
// each message once. The list lives on the request message, made on the first warning.
import type { ApiRequest } from './exchange'
import type { ServerContext } from './context'

const WARNINGS = Symbol('kubelab.requestWarnings')
type WithWarnings = ApiRequest & { [WARNINGS]?: string[] }
const NONE: readonly string[] = []

export function addWarning(ctx: ServerContext, message: string): void {
  const req = ctx.request as WithWarnings | undefined
  if (req === undefined) return
  const list = (req[WARNINGS] ??= [])
  if (!list.includes(message)) list.push(message)
}

/** The warnings added while serving `req`. */
export function requestWarnings(req: ApiRequest): readonly string[] {
  return (req as WithWarnings)[WARNINGS] ?? NONE
}
