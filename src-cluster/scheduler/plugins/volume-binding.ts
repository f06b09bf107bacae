// VolumeBinding (the part KubeLab needs): a pod whose claim is bound to a volume pinned to
// nodes (a `local` PersistentVolume, as the local-path provisioner makes) may only go to those
// nodes, so a StatefulSet pod recreated after a delete finds its data again. A claim that does
// not exist keeps the pod pending; unbound claims (WaitForFirstConsumer) do not limit nodes.
import type { PersistentVolume } from 'kubernetes-types/core/v1'
import type { NodeInfo } from '../node-info'
import type { FilterPlugin } from '../types'
import { termMatches } from './node-affinity'

export const REASON_VOLUME_NODE_AFFINITY = 'node(s) had volume node affinity conflict'

export const volumeBindingFilter: FilterPlugin = {
  name: 'VolumeBinding',
  prepare({ pod, cache }) {
    const lister = cache.volumes
    const claims = (pod.pod.spec?.volumes ?? []).flatMap((v) => (v.persistentVolumeClaim ? [v.persistentVolumeClaim.claimName] : []))
    if (!lister || claims.length === 0) return undefined
    const ns = pod.pod.metadata?.namespace ?? 'default'
    const pinned: PersistentVolume[] = []
    for (const name of claims) {
      const pvc = lister.claim(ns, name)
      if (!pvc) {
        const reason = `persistentvolumeclaim "${name}" not found`
        return () => [reason]
      }
      if (pvc.metadata?.deletionTimestamp) {
        const reason = `persistentvolumeclaim "${name}" is being deleted`
        return () => [reason]
      }
      const pv = pvc.spec?.volumeName ? lister.volume(pvc.spec.volumeName) : undefined
      if (pv?.spec?.nodeAffinity?.required) pinned.push(pv)
    }
    if (pinned.length === 0) return undefined
    return (node: NodeInfo) =>
      pinned.every((pv) => pv.spec!.nodeAffinity!.required!.nodeSelectorTerms.some((t) => termMatches(t, node))) ? undefined : [REASON_VOLUME_NODE_AFFINITY]
  },
}
