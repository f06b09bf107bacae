// Who is making the current request, carried through the async call chain (as upstream carries
// it in the request context), so checks deep in the write path — RBAC escalation, node
// restriction — can ask without every handler passing it along.
import { AsyncLocalStorage } from 'node:async_hooks'
import type { User } from './context'

const current = new AsyncLocalStorage<User>()

export function runAsUser<T>(user: User, fn: () => T): T {
  return current.run(user, fn)
}

/** The user of the request being served; undefined for the server's own writes (bootstrap). */
export function requestUser(): User | undefined {
  return current.getStore()
}
