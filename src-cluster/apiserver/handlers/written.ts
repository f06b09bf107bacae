// The answer to a create, update or patch: the object as stored, served. It is the encoding the
// watch cache makes of that stored version anyway (for the watch events of the write, which then
// reuse it), so the write is answered with that text rather than by serializing the returned
// object a second time: one JSON.stringify less per write.
import type { ApiRequest, ApiResponse } from '../exchange'
import type { KubeObject } from '../../api/object'
import type { ResourceInfo } from '../../api/resources'
import { hasConverter } from '../../api/conversion'
import type { ServerContext } from '../context'
import { sendJson, sendJsonTextWarned } from '../respond'
import { withTypeMeta } from '../type-meta'

/**
 * Whether the watch cache's encoding of what a write of `res` stored has the values of the
 * object the write returned: the served version is the stored one (no converter, not stored as
 * another resource) and reading adds nothing (custom resources get defaults on read). Only the
 * place of metadata.resourceVersion among the metadata keys may differ (the cache puts it last).
 */
function servedAsWritten(res: ResourceInfo): boolean {
  return res.dynamic === undefined && res.storedIn === undefined && !hasConverter(res)
}

/** Answer a write with `obj`, the object ObjectStore.create/update returned (or any other outcome of the write). */
export function sendWritten(
  ctx: ServerContext,
  req: ApiRequest,
  res: ApiResponse,
  code: number,
  resource: ResourceInfo,
  obj: KubeObject,
  warnings: readonly string[],
): void {
  const w = ctx.objects.written(obj)
  if (w !== undefined && servedAsWritten(resource)) sendJsonTextWarned(req, res, code, ctx.cache.encoded(resource, w.kv).json, warnings)
  else sendJson(req, res, code, withTypeMeta(resource, obj), warnings)
}
