// apiVersion/kind on an object as served; its own module so the watch cache and the handlers
// share it without importing each other.
import type { KubeObject } from '../api/object'
import { withGoShape } from '../api/go-shape'
import { apiVersionOf, type ResourceInfo } from '../api/resources'

/** Fill apiVersion/kind, which are not always stored (e.g. objects written by older code). */
export function withTypeMeta(res: ResourceInfo, obj: KubeObject): KubeObject {
  return withGoShape(res.group, res.kind, { apiVersion: apiVersionOf(res), kind: res.kind, ...obj })
}
