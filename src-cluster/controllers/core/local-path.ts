// The kubelab.dev/local-path provisioner (in the spirit of rancher's local-path-provisioner):
// a claim of a class with this provisioner gets a `local` PersistentVolume at
// /var/lib/kubelab/volumes/<pv-name> pinned to one node by node affinity.
import type { PersistentVolume, PersistentVolumeClaim } from 'kubernetes-types/core/v1'
import type { StorageClass } from 'kubernetes-types/storage/v1'
import { LOCAL_PATH_PROVISIONER, PROVISIONED_BY_ANNOTATION } from '../../kit/resources'

export const VOLUMES_DIR = '/var/lib/kubelab/volumes'
export const SELECTED_NODE_ANNOTATION = 'volume.kubernetes.io/selected-node'

/** Upstream's name for a dynamically provisioned volume: pvc-<claim uid>. */
export function provisionedName(pvc: PersistentVolumeClaim): string {
  return `pvc-${pvc.metadata?.uid}`
}

export function provisionLocalVolume(pvc: PersistentVolumeClaim, sc: StorageClass, node: string): PersistentVolume {
  const name = provisionedName(pvc)
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolume',
    metadata: { name, annotations: { [PROVISIONED_BY_ANNOTATION]: LOCAL_PATH_PROVISIONER } },
    spec: {
      capacity: { storage: String(pvc.spec?.resources?.requests?.storage ?? '1Gi') },
      accessModes: pvc.spec?.accessModes ?? ['ReadWriteOnce'],
      persistentVolumeReclaimPolicy: sc.reclaimPolicy ?? 'Delete',
      storageClassName: sc.metadata?.name,
      volumeMode: pvc.spec?.volumeMode ?? 'Filesystem',
      ...(sc.mountOptions?.length ? { mountOptions: sc.mountOptions } : {}),
      local: { path: `${VOLUMES_DIR}/${name}` },
      nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: [node] }] }] } },
      // Pre-bound to the claim it was made for, as external provisioners do.
      claimRef: { apiVersion: 'v1', kind: 'PersistentVolumeClaim', namespace: pvc.metadata?.namespace, name: pvc.metadata?.name, uid: pvc.metadata?.uid },
    },
  }
}
