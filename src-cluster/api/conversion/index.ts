// Versions served from another stored version (upstream converts through an internal type;
// we convert directly between the served and the stored version).
import type { KubeObject } from '../object'
import type { ResourceInfo } from '../resources'
import { hpaV1ToV2, hpaV2ToV1 } from './hpa'
import { coreToEventsV1, eventsV1ToCore } from './events'

interface Converter {
  readonly storageVersion: string
  toStorage(obj: KubeObject): KubeObject
  fromStorage(obj: KubeObject): KubeObject
}

const CONVERTERS: Record<string, Converter> = {
  'autoscaling/v1/HorizontalPodAutoscaler': { storageVersion: 'v2', toStorage: hpaV1ToV2, fromStorage: hpaV2ToV1 },
  // Stored as core/v1 Events (the resource's storedIn points at their key prefix).
  'events.k8s.io/v1/Event': { storageVersion: 'v1', toStorage: eventsV1ToCore, fromStorage: coreToEventsV1 },
}

function converterFor(res: Pick<ResourceInfo, 'group' | 'version' | 'kind'>): Converter | undefined {
  return CONVERTERS[`${res.group}/${res.version}/${res.kind}`]
}

/** Whether `res`'s served version differs from its stored one (reading it converts). */
export function hasConverter(res: Pick<ResourceInfo, 'group' | 'version' | 'kind'>): boolean {
  return converterFor(res) !== undefined
}

/** The object as stored (in the storage version). */
export function toStorage(res: Pick<ResourceInfo, 'group' | 'version' | 'kind'> & Partial<Pick<ResourceInfo, 'dynamic'>>, obj: KubeObject): KubeObject {
  // Custom resources: "None" conversion, only apiVersion changes.
  if (res.dynamic) return { ...obj, apiVersion: `${res.group}/${res.dynamic.storageVersion}` }
  const c = converterFor(res)
  return c ? c.toStorage(obj) : obj
}

/** The stored object as the resource's version serves it. */
export function fromStorage(res: Pick<ResourceInfo, 'group' | 'version' | 'kind'> & Partial<Pick<ResourceInfo, 'dynamic'>>, obj: KubeObject): KubeObject {
  if (res.dynamic) {
    // Defaults apply on read too, as upstream does for custom resources.
    const out = { ...obj, apiVersion: `${res.group}/${res.version}` }
    res.dynamic.applyDefaults(out)
    return out
  }
  const c = converterFor(res)
  return c ? c.fromStorage(obj) : obj
}
