// The `namespace/name` key informers, queues and caches index objects by (cluster-scoped
// objects: just the name), and its inverse. Not the storage key (apiserver/registry's storageKey).
import type { KubeObject } from '../api/object'

export function keyOf(obj: KubeObject): string {
  const ns = obj.metadata?.namespace
  return ns ? `${ns}/${obj.metadata?.name}` : String(obj.metadata?.name)
}

export function splitKey(key: string): { namespace?: string; name: string } {
  const i = key.indexOf('/')
  return i < 0 ? { name: key } : { namespace: key.slice(0, i), name: key.slice(i + 1) }
}
