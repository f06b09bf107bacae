// Which PersistentVolume can satisfy a claim: same storage class, every requested access mode,
// enough capacity, the same volume mode, labels matching the claim's selector. Smallest fit wins.
import { parseQuantity } from '../../api/quantity'
import { labelSelectorFromObject, matchLabels } from '../../api/selectors'
import type { PersistentVolume, PersistentVolumeClaim } from 'kubernetes-types/core/v1'

export function claimClass(pvc: PersistentVolumeClaim): string {
  return pvc.spec?.storageClassName ?? ''
}

export function requestedBytes(pvc: PersistentVolumeClaim): number {
  const req = pvc.spec?.resources?.requests?.storage
  return req === undefined ? 0 : parseQuantity(String(req))
}

export function pvBytes(pv: PersistentVolume): number {
  const cap = pv.spec?.capacity?.storage
  return cap === undefined ? 0 : parseQuantity(String(cap))
}

/** Whether `pv` may be bound to `pvc` (ignoring whether it is already taken). */
export function pvFits(pv: PersistentVolume, pvc: PersistentVolumeClaim): boolean {
  if ((pv.spec?.storageClassName ?? '') !== claimClass(pvc)) return false
  const modes = pv.spec?.accessModes ?? []
  if (!(pvc.spec?.accessModes ?? []).every((m) => modes.includes(m))) return false
  if (pvBytes(pv) < requestedBytes(pvc)) return false
  if ((pv.spec?.volumeMode ?? 'Filesystem') !== (pvc.spec?.volumeMode ?? 'Filesystem')) return false
  if (pvc.spec?.selector && !matchLabels(labelSelectorFromObject(pvc.spec.selector), pv.metadata?.labels)) return false
  return true
}

/** The best free volume for a claim: one pre-bound to it, else the smallest that fits. */
export function findVolume<V extends PersistentVolume>(pvs: readonly V[], pvc: PersistentVolumeClaim): V | undefined {
  const uid = pvc.metadata?.uid
  const mine = (v: V) =>
    v.spec?.claimRef?.name === pvc.metadata?.name &&
    v.spec?.claimRef?.namespace === pvc.metadata?.namespace &&
    (!v.spec?.claimRef?.uid || v.spec.claimRef.uid === uid)
  // A new volume is Pending until the controller marks it Available; it is free either way.
  const usable = pvs.filter(
    (v) => !v.metadata?.deletionTimestamp && (v.status?.phase === 'Available' || v.status?.phase === 'Pending' || v.status?.phase === undefined || mine(v)),
  )
  const pre = usable.find((v) => mine(v) && pvFits(v, pvc))
  if (pre) return pre
  // A claim naming a volume wants that one only.
  if (pvc.spec?.volumeName) return usable.find((v) => v.metadata?.name === pvc.spec?.volumeName && !v.spec?.claimRef && pvFits(v, pvc))
  return usable.filter((v) => !v.spec?.claimRef && pvFits(v, pvc)).sort((a, b) => pvBytes(a) - pvBytes(b))[0]
}
