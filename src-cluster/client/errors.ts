// Errors from the API client: what the server answered (HTTP code + Status reason) or, with
// code 0, why the server could not be reached at all.
import type { ApiClientErrorShape } from './types'

export class ApiClientError extends Error implements ApiClientErrorShape {
  readonly code: number
  readonly reason: string
  readonly status?: Record<string, unknown>

  constructor(code: number, reason: string, message: string, status?: Record<string, unknown>) {
    super(message)
    this.name = 'ApiClientError'
    this.code = code
    this.reason = reason
    this.status = status
  }
}

export function isNotFound(err: unknown): boolean {
  return err instanceof ApiClientError && err.code === 404
}
export function isConflict(err: unknown): boolean {
  return err instanceof ApiClientError && err.code === 409 && err.reason !== 'AlreadyExists'
}
export function isAlreadyExists(err: unknown): boolean {
  return err instanceof ApiClientError && err.code === 409 && err.reason === 'AlreadyExists'
}
export function isExpired(err: unknown): boolean {
  return err instanceof ApiClientError && (err.code === 410 || err.reason === 'Expired' || err.reason === 'Gone')
}
/** The server could not be reached (refused, reset, timed out, TLS failure). */
export function isNetworkError(err: unknown): boolean {
  return err instanceof ApiClientError && err.code === 0
}

/** An error from the API server's response body (a Status, or whatever text came back). */
export function errorFromResponse(httpCode: number, body: string, what: string): ApiClientError {
  let status: Record<string, unknown> | undefined
  try {
    const parsed: unknown = JSON.parse(body)
    if (parsed && typeof parsed === 'object') status = parsed as Record<string, unknown>
  } catch {
    // not JSON: keep the text as the message
  }
  const reason = typeof status?.reason === 'string' ? status.reason : reasonForCode(httpCode)
  const message = typeof status?.message === 'string' ? status.message : `${what}: HTTP ${httpCode}${body ? `: ${body.slice(0, 300)}` : ''}`
  const code = typeof status?.code === 'number' && status.code > 0 ? status.code : httpCode
  return new ApiClientError(code, reason, message, status)
}

function reasonForCode(code: number): string {
  switch (code) {
    case 400:
      return 'BadRequest'
    case 401:
      return 'Unauthorized'
    case 403:
      return 'Forbidden'
    case 404:
      return 'NotFound'
    case 405:
      return 'MethodNotAllowed'
    case 409:
      return 'Conflict'
    case 410:
      return 'Expired'
    case 422:
      return 'Invalid'
    case 429:
      return 'TooManyRequests'
    case 500:
      return 'InternalError'
    case 503:
      return 'ServiceUnavailable'
    case 504:
      return 'Timeout'
    default:
      return 'Unknown'
  }
}

const NET_WORDS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  EPIPE: 'connection closed',
  ETIMEDOUT: 'timed out',
  ESOCKETTIMEDOUT: 'timed out',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host name lookup failed',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
}

/** code 0: the request never got an answer. The message says what to check. */
export function networkError(server: string, err: unknown): ApiClientError {
  const e = err as { code?: string; message?: string }
  const code = e?.code ?? ''
  let message: string
  if (NET_WORDS[code]) {
    message = `cannot reach the API server at ${server}: ${NET_WORDS[code]} — is it running?`
  } else if (/CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS|SSL/i.test(code)) {
    message = `TLS handshake with the API server at ${server} failed (${code}: ${e.message}) — does the CA in the kubeconfig belong to this cluster?`
  } else {
    message = `cannot reach the API server at ${server}: ${e?.message ?? String(err)} — is it running?`
  }
  const out = new ApiClientError(0, 'NetworkError', message)
  ;(out as { cause?: unknown }).cause = err
  return out
}
