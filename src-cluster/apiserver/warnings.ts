// Warnings collected while a request is served (as upstream's request-scoped warning recorder):
// admission webhooks add theirs deep in the write path; every answer to the request, errors
// included, carries them as `Warning: 299 - "…"` headers, each message once.
import { AsyncLocalStorage } from 'node:async_hooks'

const current = new AsyncLocalStorage<string[]>()

/** Runs `fn` (one request) with a fresh warning list. */
export function withRequestWarnings<T>(fn: () => T): T {
  return current.run([], fn)
}

export function addWarning(message: string): void {
  const list = current.getStore()
  if (list && !list.includes(message)) list.push(message)
}

export function requestWarnings(): readonly string[] {
  return current.getStore() ?? []
}
