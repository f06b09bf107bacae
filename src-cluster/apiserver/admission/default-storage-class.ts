// Upstream's DefaultStorageClass admission: a new PersistentVolumeClaim that does not name a
// storage class (spec.storageClassName absent — an empty string means "no class" and is kept)
// gets the cluster's default class. Also the definition of KubeLab's default class `standard`.
import type { PersistentVolumeClaim } from 'kubernetes-types/core/v1'
import type { StorageClass } from 'kubernetes-types/storage/v1'
import { LOCAL_PATH_PROVISIONER } from '../../kit/resources'

export const DEFAULT_CLASS_ANNOTATION = 'storageclass.kubernetes.io/is-default-class'
const BETA_DEFAULT_CLASS_ANNOTATION = 'storageclass.beta.kubernetes.io/is-default-class'

export function isDefaultClass(sc: StorageClass): boolean {
  const a = sc.metadata?.annotations ?? {}
  return a[DEFAULT_CLASS_ANNOTATION] === 'true' || a[BETA_DEFAULT_CLASS_ANNOTATION] === 'true'
}

/** The default class; with several, the newest (then by name), as upstream since 1.26. */
export function defaultClass<S extends StorageClass>(classes: readonly S[]): S | undefined {
  const defaults = classes.filter(isDefaultClass)
  defaults.sort(
    (a, b) =>
      String(b.metadata?.creationTimestamp ?? '').localeCompare(String(a.metadata?.creationTimestamp ?? '')) ||
      String(a.metadata?.name).localeCompare(String(b.metadata?.name)),
  )
  return defaults[0]
}

/** Sets spec.storageClassName to the default class when it is absent. Mutates and returns `pvc`. */
export function defaultStorageClassAdmission<P extends PersistentVolumeClaim>(pvc: P, classes: readonly StorageClass[]): P {
  if (pvc.spec?.storageClassName !== undefined && pvc.spec.storageClassName !== null) return pvc
  const def = defaultClass(classes)
  if (!def?.metadata?.name) return pvc
  pvc.spec = { ...(pvc.spec ?? {}), storageClassName: def.metadata.name }
  return pvc
}

/** KubeLab's default class: local volumes made on the node the first consumer runs on. */
export function standardStorageClass(): StorageClass {
  return {
    apiVersion: 'storage.k8s.io/v1',
    kind: 'StorageClass',
    metadata: { name: 'standard', annotations: { [DEFAULT_CLASS_ANNOTATION]: 'true' } },
    provisioner: LOCAL_PATH_PROVISIONER,
    reclaimPolicy: 'Delete',
    volumeBindingMode: 'WaitForFirstConsumer',
  }
}
