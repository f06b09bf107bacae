import type { Reply, RequestName } from '../contract'
import { isRequestName, rpcError } from '../contract'
import { CodedError } from '../contract/errors'
import type { Handler, Handlers } from './handlers'

export type CallLogger = (line: string) => void

/**
 * Runs one request arriving from an untrusted transport: unknown names, bad params and thrown
 * exceptions all come back as error values, never as rejections, so adapters stay trivial.
 */
export async function dispatch(handlers: Handlers, name: unknown, params: unknown, log?: CallLogger): Promise<Reply<unknown>> {
  if (!isRequestName(name)) {
    return rpcError('unknown_request', `unknown request ${truncate(JSON.stringify(name) ?? String(name))}`)
  }
  const started = Date.now()
  const reply = await runHandler(handlers[name] as Handler<RequestName>, params)
  if (log) {
    const outcome = reply.ok ? 'ok' : `${reply.error.code}: ${reply.error.message}`
    log(`${name} ${truncate(safeJson(params))} -> ${truncate(outcome)} (${Date.now() - started} ms)`)
  }
  return reply
}

async function runHandler(handler: Handler<RequestName>, raw: unknown): Promise<Reply<unknown>> {
  const parsed = handler.parse(raw)
  if (!parsed.ok) return parsed
  try {
    return { ok: true, value: await handler.run(parsed.value) }
  } catch (err) {
    if (err instanceof CodedError) return rpcError(err.code, err.message)
    return rpcError('internal', err instanceof Error ? err.message : String(err))
  }
}

const maxLogChars = 500

function truncate(s: string): string {
  return s.length > maxLogChars ? `${s.slice(0, maxLogChars)}… (${s.length} chars)` : s
}

function safeJson(v: unknown): string {
  if (v === undefined) return ''
  try {
    return JSON.stringify(v) ?? String(v)
  } catch {
    return '[unserializable]'
  }
}
