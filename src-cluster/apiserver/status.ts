// Kubernetes Status objects: every error the API server answers is one of these, so kubectl
// prints "Error from server (Reason): message" with a message a learner can act on.
import type { FieldError } from '../api/errors'
import { fieldErrorMessage, formatFieldError } from '../api/errors'
import type { ResourceInfo } from '../api/resources'

export interface StatusCause {
  reason?: string
  message?: string
  field?: string
}
export interface Status {
  kind: 'Status'
  apiVersion: 'v1'
  metadata: Record<string, unknown>
  status: 'Success' | 'Failure'
  message?: string
  reason?: string
  details?: { name?: string; group?: string; kind?: string; uid?: string; causes?: StatusCause[]; retryAfterSeconds?: number }
  code: number
}

/** An error answered as a Status with an HTTP code. */
export class ApiError extends Error {
  constructor(readonly status: Status) {
    super(status.message ?? status.reason ?? 'error')
    this.name = 'ApiError'
  }
  get code(): number {
    return this.status.code
  }
}

export function failure(code: number, reason: string, message: string, details?: Status['details']): ApiError {
  return new ApiError({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, details, code })
}

export function success(details?: Status['details']): Status {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details, code: 200 }
}

/** "pods", "deployments.apps": how upstream names a resource in messages. */
export function qualifiedResource(res: Pick<ResourceInfo, 'group' | 'plural'>): string {
  return res.group ? `${res.plural}.${res.group}` : res.plural
}

export const errors = {
  notFound: (res: Pick<ResourceInfo, 'group' | 'plural'>, name: string) =>
    failure(404, 'NotFound', `${qualifiedResource(res)} "${name}" not found`, { name, group: res.group || undefined, kind: res.plural }),
  alreadyExists: (res: Pick<ResourceInfo, 'group' | 'plural'>, name: string) =>
    failure(409, 'AlreadyExists', `${qualifiedResource(res)} "${name}" already exists`, { name, group: res.group || undefined, kind: res.plural }),
  conflict: (
    res: Pick<ResourceInfo, 'group' | 'plural'>,
    name: string,
    why = 'the object has been modified; please apply your changes to the latest version and try again',
  ) =>
    failure(409, 'Conflict', `Operation cannot be fulfilled on ${qualifiedResource(res)} "${name}": ${why}`, {
      name,
      group: res.group || undefined,
      kind: res.plural,
    }),
  badRequest: (message: string) => failure(400, 'BadRequest', message),
  invalid: (res: Pick<ResourceInfo, 'group' | 'kind'>, name: string, errs: readonly FieldError[]) =>
    failure(
      422,
      'Invalid',
      `${res.group ? `${res.kind}.${res.group}` : res.kind} "${name}" is invalid: ${errs.length === 1 ? formatFieldError(errs[0]!) : '[' + errs.map(formatFieldError).join(', ') + ']'}`,
      {
        name,
        group: res.group || undefined,
        kind: res.kind,
        causes: errs.map((e) => ({ reason: e.type, message: fieldErrorMessage(e), field: e.field })),
      },
    ),
  forbidden: (message: string) => failure(403, 'Forbidden', message),
  /** Upstream's NewForbidden: `pods "x" is forbidden: <why>`. */
  forbiddenObject: (res: Pick<ResourceInfo, 'group' | 'plural'>, name: string, why: string) =>
    failure(403, 'Forbidden', `${qualifiedResource(res)} "${name}" is forbidden: ${why}`, { name, group: res.group || undefined, kind: res.plural }),
  methodNotAllowed: (message: string) => failure(405, 'MethodNotAllowed', message),
  unsupportedMediaType: (contentType: string) =>
    failure(
      415,
      'UnsupportedMediaType',
      `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf (got ${JSON.stringify(contentType)})`,
    ),
  notAcceptable: (accept: string) =>
    failure(406, 'NotAcceptable', `only the following media types are accepted: application/json, application/yaml (asked for ${JSON.stringify(accept)})`),
  unauthorized: () => failure(401, 'Unauthorized', 'Unauthorized'),
  expired: (message: string) => failure(410, 'Expired', message),
  tooLarge: (message: string) => failure(413, 'RequestEntityTooLarge', message),
  internal: (message: string) => failure(500, 'InternalError', `Internal error occurred: ${message}`),
  unavailable: (message: string) => failure(503, 'ServiceUnavailable', message),
  /** Upstream's NewTooLargeResourceVersionError: the client holds a revision this store has not reached. */
  tooLargeResourceVersion: (requested: number, current: number) =>
    failure(504, 'Timeout', `Too large resource version: ${requested}, current: ${current}`, {
      causes: [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version' }],
      retryAfterSeconds: 1,
    }),
}
