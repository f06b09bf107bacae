// Discovery entries for metrics.k8s.io/v1beta1, in both forms kubectl reads: the aggregated
// APIGroupDiscovery item (add to the /apis answer's items) and the legacy APIGroup /
// APIResourceList documents. `kubectl top` refuses to run unless the group is discoverable.
import { METRICS_GROUP, METRICS_VERSION } from './provider'

const RESOURCES = [
  { plural: 'nodes', kind: 'NodeMetrics', namespaced: false },
  { plural: 'pods', kind: 'PodMetrics', namespaced: true },
] as const

const VERBS = ['get', 'list']

/** One item for the aggregated /apis APIGroupDiscoveryList. */
export function metricsAggregatedGroup(): Record<string, unknown> {
  return {
    metadata: { name: METRICS_GROUP, creationTimestamp: null },
    versions: [
      {
        version: METRICS_VERSION,
        resources: RESOURCES.map((r) => ({
          resource: r.plural,
          responseKind: { group: METRICS_GROUP, version: METRICS_VERSION, kind: r.kind },
          scope: r.namespaced ? 'Namespaced' : 'Cluster',
          singularResource: '',
          verbs: VERBS,
        })),
        freshness: 'Current',
      },
    ],
  }
}

/** One entry for the legacy /apis APIGroupList `groups`. */
export function metricsGroupListEntry(): Record<string, unknown> {
  const v = { groupVersion: `${METRICS_GROUP}/${METRICS_VERSION}`, version: METRICS_VERSION }
  return { name: METRICS_GROUP, versions: [v], preferredVersion: v }
}

/** GET /apis/metrics.k8s.io */
export function metricsApiGroup(): Record<string, unknown> {
  return { kind: 'APIGroup', apiVersion: 'v1', ...metricsGroupListEntry() }
}

/** GET /apis/metrics.k8s.io/v1beta1 */
export function metricsResourceList(): Record<string, unknown> {
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: `${METRICS_GROUP}/${METRICS_VERSION}`,
    resources: RESOURCES.map((r) => ({ name: r.plural, singularName: '', namespaced: r.namespaced, kind: r.kind, verbs: VERBS })),
  }
}
