// Which pods "belong together" with a pod for default spreading: those selected by the Services
// that select it, and by its controlling ReplicaSet / StatefulSet / ReplicationController —
// upstream's DefaultSelector, merged into one selector.
import type { ReplicationController, Service } from 'kubernetes-types/core/v1'
import type { ReplicaSet, StatefulSet } from 'kubernetes-types/apps/v1'
import type { KubeObject } from '../api/object'
import { labelSelectorFromObject, matchLabels, type LabelRequirement, type LabelSelector, type LabelSelectorObject } from '../api/selectors'
import type { PodInfo } from './types'

export interface OwnerLookups {
  /** Services in a namespace. */
  services(namespace: string): readonly (Service & KubeObject)[]
  replicationController(namespace: string, name: string): (ReplicationController & KubeObject) | undefined
  replicaSet(namespace: string, name: string): (ReplicaSet & KubeObject) | undefined
  statefulSet(namespace: string, name: string): (StatefulSet & KubeObject) | undefined
}

function fromSet(set: Record<string, string>): LabelRequirement[] {
  return [...labelSelectorFromObject({ matchLabels: set }).requirements]
}

/** The merged selector, or undefined when nothing selects the pod. */
export function defaultSelector(pod: PodInfo, lookups: OwnerLookups): LabelSelector | undefined {
  const set: Record<string, string> = {}
  for (const svc of lookups.services(pod.namespace)) {
    const sel = svc.spec?.selector
    if (!sel || Object.keys(sel).length === 0) continue
    if (matchLabels(labelSelectorFromObject({ matchLabels: sel }), pod.labels)) Object.assign(set, sel)
  }
  const reqs: LabelRequirement[] = []
  const owner = (pod.pod.metadata?.ownerReferences ?? []).find((o) => o.controller)
  if (owner) {
    const group = owner.apiVersion.includes('/') ? owner.apiVersion.slice(0, owner.apiVersion.indexOf('/')) : ''
    if (group === '' && owner.kind === 'ReplicationController') {
      Object.assign(set, lookups.replicationController(pod.namespace, owner.name)?.spec?.selector ?? {})
    } else if (group === 'apps' && (owner.kind === 'ReplicaSet' || owner.kind === 'StatefulSet')) {
      const obj = owner.kind === 'ReplicaSet' ? lookups.replicaSet(pod.namespace, owner.name) : lookups.statefulSet(pod.namespace, owner.name)
      const sel = obj?.spec?.selector as LabelSelectorObject | undefined
      if (sel) {
        try {
          reqs.push(...labelSelectorFromObject(sel).requirements)
        } catch {
          // an invalid selector selects nothing extra, as upstream ignores the error
        }
      }
    }
  }
  // The owner usually repeats the Services' labels: keep each requirement once.
  const seen = new Set<string>()
  const all = [...fromSet(set), ...reqs].filter((r) => {
    const k = `${r.key}\u0000${r.operator}\u0000${r.values.join(',')}`
    return seen.has(k) ? false : (seen.add(k), true)
  })
  return all.length === 0 ? undefined : { requirements: all }
}
