// Defaults of storage objects: PersistentVolume, PersistentVolumeClaim, StorageClass.
import { child, ensure, setDefault, type Obj } from './util'

export function defaultPersistentVolumeClaim(pvc: Obj): void {
  const spec = child(pvc, 'spec')
  if (spec) setDefault(spec, 'volumeMode', 'Filesystem')
  setDefault(ensure(pvc, 'status'), 'phase', 'Pending')
}

export function defaultPersistentVolume(pv: Obj): void {
  const spec = child(pv, 'spec')
  if (spec) {
    setDefault(spec, 'persistentVolumeReclaimPolicy', 'Retain')
    setDefault(spec, 'volumeMode', 'Filesystem')
  }
  setDefault(ensure(pv, 'status'), 'phase', 'Pending')
}

export function defaultStorageClass(sc: Obj): void {
  setDefault(sc, 'reclaimPolicy', 'Delete')
  setDefault(sc, 'volumeBindingMode', 'Immediate')
}
