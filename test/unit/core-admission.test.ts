import { describe, expect, it } from 'vitest'
import type { Pod } from 'kubernetes-types/core/v1'
import type { StorageClass } from 'kubernetes-types/storage/v1'
import { defaultStorageClassAdmission, standardStorageClass } from '../../src-cluster/apiserver/admission/default-storage-class'
import { defaultTolerationsAdmission } from '../../src-cluster/apiserver/admission/default-tolerations'
import { evictionVerdict, tolerates } from '../../src-cluster/controllers/core/taints'
import { findVolume } from '../../src-cluster/controllers/core/pv-match'
import type { PersistentVolume, PersistentVolumeClaim } from 'kubernetes-types/core/v1'

describe('DefaultTolerationSeconds admission', () => {
  it('adds not-ready and unreachable NoExecute tolerations with the given seconds', () => {
    const pod: Pod = { spec: { containers: [{ name: 'a' }] } }
    defaultTolerationsAdmission(pod, 30)
    expect(pod.spec!.tolerations).toEqual([
      { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 30 },
      { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 30 },
    ])
  })
  it('keeps a toleration the pod already has for one of them, and tolerate-everything pods untouched', () => {
    const own: Pod = {
      spec: { containers: [], tolerations: [{ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 5 }] },
    }
    defaultTolerationsAdmission(own)
    expect(own.spec!.tolerations!.map((t) => `${t.key}=${t.tolerationSeconds}`)).toEqual([
      'node.kubernetes.io/unreachable=5',
      'node.kubernetes.io/not-ready=300',
    ])
    const all: Pod = { spec: { containers: [], tolerations: [{ operator: 'Exists' }] } }
    defaultTolerationsAdmission(all)
    expect(all.spec!.tolerations).toEqual([{ operator: 'Exists' }])
  })
})

describe('taint eviction verdicts', () => {
  const unreachable = { key: 'node.kubernetes.io/unreachable', effect: 'NoExecute' as const }
  it('matches tolerations by key, operator, value and effect', () => {
    expect(tolerates({ key: 'k', operator: 'Equal', value: 'v', effect: 'NoSchedule' }, { key: 'k', value: 'v', effect: 'NoSchedule' })).toBe(true)
    expect(tolerates({ key: 'k', value: 'w' }, { key: 'k', value: 'v', effect: 'NoSchedule' })).toBe(false)
    expect(tolerates({ key: 'k', operator: 'Exists', effect: 'NoSchedule' }, { key: 'k', effect: 'NoExecute' })).toBe(false)
  })
  it('evicts now, after the smallest tolerationSeconds, or never', () => {
    expect(evictionVerdict([unreachable], [])).toEqual({ kind: 'now' })
    expect(
      evictionVerdict(
        [unreachable],
        [
          { key: unreachable.key, operator: 'Exists', tolerationSeconds: 60 },
          { operator: 'Exists', tolerationSeconds: 20 },
        ],
      ),
    ).toEqual({ kind: 'after', seconds: 20 })
    expect(evictionVerdict([unreachable], [{ operator: 'Exists' }])).toEqual({ kind: 'never' })
    expect(evictionVerdict([{ key: 'x', effect: 'NoSchedule' }], [])).toEqual({ kind: 'never' })
  })
})

describe('DefaultStorageClass admission', () => {
  const sc = (name: string, def: boolean, created: string): StorageClass => ({
    metadata: { name, creationTimestamp: created, annotations: def ? { 'storageclass.kubernetes.io/is-default-class': 'true' } : {} },
    provisioner: 'p',
  })
  it('sets the newest default class on claims without storageClassName; keeps "" and explicit names', () => {
    const classes = [sc('old', true, '2025-01-01T00:00:00Z'), sc('new', true, '2026-01-01T00:00:00Z'), sc('plain', false, '2027-01-01T00:00:00Z')]
    expect(defaultStorageClassAdmission({ spec: {} } as PersistentVolumeClaim, classes).spec!.storageClassName).toBe('new')
    expect(defaultStorageClassAdmission({ spec: { storageClassName: '' } } as PersistentVolumeClaim, classes).spec!.storageClassName).toBe('')
    expect(defaultStorageClassAdmission({ spec: { storageClassName: 'plain' } } as PersistentVolumeClaim, classes).spec!.storageClassName).toBe('plain')
    expect(defaultStorageClassAdmission({ spec: {} } as PersistentVolumeClaim, [sc('plain', false, 'x')]).spec!.storageClassName).toBeUndefined()
  })
  it('the standard class is the default, local-path, WaitForFirstConsumer', () => {
    expect(standardStorageClass()).toMatchObject({
      metadata: { name: 'standard', annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } },
      provisioner: 'kubelab.dev/local-path',
      volumeBindingMode: 'WaitForFirstConsumer',
    })
  })
})

describe('volume matching', () => {
  const pv = (
    name: string,
    size: string,
    extra: Partial<NonNullable<PersistentVolume['spec']>> = {},
    labels: Record<string, string> = {},
  ): PersistentVolume => ({
    metadata: { name, labels },
    spec: { capacity: { storage: size }, accessModes: ['ReadWriteOnce', 'ReadOnlyMany'], storageClassName: 'manual', ...extra },
    status: { phase: 'Available' },
  })
  const claim: PersistentVolumeClaim = {
    metadata: { name: 'c', namespace: 'd', uid: 'u' },
    spec: { storageClassName: 'manual', accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '2Gi' } } },
  }
  it('picks the smallest volume that fits class, modes, capacity and selector', () => {
    const vols = [pv('big', '10Gi'), pv('small', '1Gi'), pv('fit', '3Gi'), pv('other-class', '2Gi', { storageClassName: 'x' })]
    expect(findVolume(vols, claim)?.metadata?.name).toBe('fit')
    expect(findVolume(vols, { ...claim, spec: { ...claim.spec, accessModes: ['ReadWriteMany'] } })).toBeUndefined()
    const labelled = [pv('fit', '3Gi'), pv('tier', '5Gi', {}, { tier: 'gold' })]
    expect(findVolume(labelled, { ...claim, spec: { ...claim.spec, selector: { matchLabels: { tier: 'gold' } } } })?.metadata?.name).toBe('tier')
  })
})
