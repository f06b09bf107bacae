// One object for the detail page: the object, its YAML, and the Events about it.
import type { KubeObject } from '../../../src-cluster/api/object'
import { resourceRef, type Client } from '../../../src-cluster/client'
import type { EventInfo, JsonObject, ObjectDetail, ObjectParams, ResourceTypeInfo } from '../../contract'
import { resourceTypeInfo } from '../../contract'
import { forDisplay, toYaml } from './yaml-view'

export function typeOrThrow(type: string): ResourceTypeInfo {
  const info = resourceTypeInfo(type)
  if (!info) throw new Error(`unknown resource type ${type}`)
  return info
}

export async function getDetail(client: Client, params: ObjectParams): Promise<ObjectDetail> {
  const info = typeOrThrow(params.type)
  const ns = info.namespaced ? (params.namespace ?? 'default') : undefined
  const obj = await client.get(resourceRef(info.apiVersion, info.type), ns, params.name)
  if (!obj) throw new Error(`${info.kind} ${ns ? `${ns}/` : ''}${params.name} does not exist (any more) in cluster ${params.cluster}`)
  return { object: forDisplay(obj) as JsonObject, yaml: toYaml(obj), events: await eventsFor(client, info, ns, params.name, obj.metadata?.uid) }
}

interface CoreEvent extends KubeObject {
  type?: string
  reason?: string
  message?: string
  count?: number
  source?: { component?: string; host?: string }
  reportingComponent?: string
  lastTimestamp?: string | null
  eventTime?: string | null
  involvedObject?: { kind?: string; name?: string; namespace?: string; uid?: string }
}

export async function eventsFor(
  client: Client,
  info: ResourceTypeInfo,
  namespace: string | undefined,
  name: string,
  uid: string | undefined,
): Promise<EventInfo[]> {
  const list = await client.list<CoreEvent>(resourceRef('v1', 'events'), {
    namespace,
    fieldSelector: `involvedObject.name=${name}`,
  })
  return list.items
    .filter((e) => e.involvedObject?.kind === info.kind && (!uid || !e.involvedObject?.uid || e.involvedObject.uid === uid))
    .map((e) => ({
      type: e.type ?? 'Normal',
      reason: e.reason ?? '',
      message: e.message ?? '',
      count: e.count ?? 1,
      source: e.source?.component ?? e.reportingComponent ?? '',
      lastSeen: e.lastTimestamp ?? e.eventTime ?? e.metadata?.creationTimestamp ?? null,
    }))
    .sort((a, b) => String(b.lastSeen).localeCompare(String(a.lastSeen)))
}
