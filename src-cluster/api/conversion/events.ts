// events.k8s.io/v1 Event ⇄ core/v1 Event. Upstream stores both in one place (the core Event)
// and converts field names as pkg/apis/events/v1/conversion.go does: note ⇄ message,
// regarding ⇄ involvedObject, reportingController ⇄ reportingComponent, deprecatedSource ⇄
// source, deprecatedFirstTimestamp/LastTimestamp/Count ⇄ firstTimestamp/lastTimestamp/count.
// Fields with the same name on both (eventTime, series, action, reason, related, type,
// reportingInstance) pass through.
import type { KubeObject } from '../object'

type Obj = Record<string, unknown>

const RENAMES: readonly (readonly [events: string, core: string])[] = [
  ['note', 'message'],
  ['regarding', 'involvedObject'],
  ['reportingController', 'reportingComponent'],
  ['deprecatedSource', 'source'],
  ['deprecatedFirstTimestamp', 'firstTimestamp'],
  ['deprecatedLastTimestamp', 'lastTimestamp'],
  ['deprecatedCount', 'count'],
]
const SAME = ['eventTime', 'series', 'action', 'reason', 'related', 'type', 'reportingInstance']

function convert(from: KubeObject, apiVersion: string, pairs: readonly (readonly [string, string])[]): KubeObject {
  const src = from as Obj
  const out: Obj = { apiVersion, kind: 'Event', metadata: from.metadata }
  for (const [a, b] of pairs) if (src[a] !== undefined && src[a] !== null) out[b] = src[a]
  for (const k of SAME) if (src[k] !== undefined && src[k] !== null) out[k] = src[k]
  return out as KubeObject
}

export function eventsV1ToCore(obj: KubeObject): KubeObject {
  return convert(obj, 'v1', RENAMES)
}

export function coreToEventsV1(obj: KubeObject): KubeObject {
  const out = convert(
    obj,
    'events.k8s.io/v1',
    RENAMES.map(([a, b]) => [b, a] as const),
  ) as Obj
  // Go writes these non-pointer structs even when empty.
  if (out.regarding === undefined) out.regarding = {}
  if (out.deprecatedSource === undefined) out.deprecatedSource = {}
  return out as KubeObject
}
