// Who is writing: the field manager from ?fieldManager= or, as upstream derives it, from the
// User-Agent; upstream's validation of the name and of `force`.
import type { IncomingHttpHeaders } from 'node:http'
import type { FieldError } from '../../api/errors'
import { fieldErr, formatFieldError, fieldErrorMessage } from '../../api/errors'
import { failure, type ApiError } from '../status'

export const FIELD_MANAGER_MAX_BYTES = 128

/** Go's unicode.IsPrint: letters, marks, numbers, punctuation, symbols and the ASCII space. */
const PRINTABLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u

/** The User-Agent up to its first `/`, printable characters only, at most 128 bytes. */
export function managerFromUserAgent(userAgent: string | undefined): string {
  let out = ''
  let bytes = 0
  for (const ch of (userAgent ?? '').split('/')[0]!) {
    if (!PRINTABLE.test(ch)) continue
    const n = Buffer.byteLength(ch)
    if (bytes + n > FIELD_MANAGER_MAX_BYTES) break
    out += ch
    bytes += n
  }
  return out || 'unknown'
}

/** Upstream's flag parsing: present and not "0"/"false" (any case) means true. */
export function queryFlag(query: URLSearchParams, name: string): boolean | undefined {
  const v = query.get(name)
  if (v === null) return undefined
  return v !== '0' && v.toLowerCase() !== 'false'
}

export type OptionsKind = 'CreateOptions' | 'UpdateOptions' | 'PatchOptions'

function invalidOptions(kind: OptionsKind, errs: FieldError[]): ApiError {
  const text = errs.length === 1 ? formatFieldError(errs[0]!) : '[' + errs.map(formatFieldError).join(', ') + ']'
  return failure(422, 'Invalid', `${kind}.meta.k8s.io "" is invalid: ${text}`, {
    name: '',
    group: 'meta.k8s.io',
    kind,
    causes: errs.map((e) => ({ reason: e.type, message: fieldErrorMessage(e), field: e.field })),
  })
}

export interface WriteIdentity {
  readonly manager: string
  /** ?force= on an apply patch. */
  readonly force: boolean
}

/**
 * The field manager of a write, validated as upstream does (422 on the options kind). `apply`
 * marks a server-side apply patch: it must name its manager and may carry `force`.
 */
export function writeIdentity(query: URLSearchParams, headers: IncomingHttpHeaders, kind: OptionsKind, apply = false): WriteIdentity {
  const errs: FieldError[] = []
  const given = query.get('fieldManager') ?? ''
  if (given !== '') {
    if (Buffer.byteLength(given) > FIELD_MANAGER_MAX_BYTES) {
      errs.push({ type: 'FieldValueTooLong', field: 'fieldManager', detail: `may not be more than ${FIELD_MANAGER_MAX_BYTES} bytes` })
    }
    let i = 0
    for (const ch of given) {
      if (!PRINTABLE.test(ch)) {
        const cp = ch.codePointAt(0)!
        errs.push(fieldErr.invalid('fieldManager', given, `invalid character U+${cp.toString(16).toUpperCase().padStart(4, '0')} (at position ${i})`))
      }
      i += ch.length
    }
  } else if (apply) {
    errs.push(fieldErr.required('fieldManager', 'is required for apply patch'))
  }
  const force = queryFlag(query, 'force')
  if (force !== undefined && !apply && kind === 'PatchOptions') errs.push(fieldErr.forbidden('force', 'may not be specified for non-apply patch'))
  if (errs.length) throw invalidOptions(kind, errs)
  return { manager: given !== '' ? given : managerFromUserAgent(headers['user-agent']), force: force === true }
}
