// Self-checks of the meta/v1 and non-Pod core/v1 schema data (src-cluster/api/schema/meta.ts,
// core.ts): structure (numbers, refs, kinds) plus spot checks of facts verified against
// kubernetes/api and kubernetes/apimachinery v0.32 generated.proto and types.go.
import { existsSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import type { Field, FieldType, Struct } from '../../src-cluster/api/schema/dsl'
import { structs as coreStructs, protoEmbeds } from '../../src-cluster/api/schema/core'
import { structs as metaStructs } from '../../src-cluster/api/schema/meta'
import { structs as corePolicyStructs } from '../../src-cluster/api/schema/core-policy'
import { structs as coreControllerStructs } from '../../src-cluster/api/schema/core-controllers'
import { RESOURCES } from '../../src-cluster/api/resources'

const C = 'io.k8s.api.core.v1.'
const M = 'io.k8s.apimachinery.pkg.apis.meta.v1.'
// core-policy.ts (LimitRange, ResourceQuota) and core-controllers.ts (ReplicationController,
// PodTemplate) hold core/v1 kinds too.
const mine: Struct[] = [...metaStructs, ...coreStructs, ...corePolicyStructs, ...coreControllerStructs]
const byName = new Map(mine.map((s) => [s.name, s]))

/** Structs core.ts refers to that core-pod.ts defines. */
const FROM_CORE_POD = [
  'HostPathVolumeSource',
  'NFSVolumeSource',
  'GCEPersistentDiskVolumeSource',
  'AWSElasticBlockStoreVolumeSource',
  'FCVolumeSource',
  'FlockerVolumeSource',
  'AzureDiskVolumeSource',
  'VsphereVirtualDiskVolumeSource',
  'QuobyteVolumeSource',
  'PhotonPersistentDiskVolumeSource',
  'PortworxVolumeSource',
  'NodeSelector',
  'LocalObjectReference',
  // ReplicationController and PodTemplate (core-controllers.ts) embed the pod template.
  'PodTemplateSpec',
].map((n) => C + n)

function struct(name: string): Struct {
  const s = byName.get(name)
  if (!s) throw new Error(`no struct ${name} in meta.ts/core.ts`)
  return s
}
function field(structName: string, fieldName: string): Field {
  const fl = struct(structName).fields[fieldName]
  if (!fl) throw new Error(`no field ${fieldName} in ${structName}`)
  return fl
}
function refsOf(t: FieldType): string[] {
  if (t.t === 'ref') return [t.name]
  if (t.t === 'list' || t.t === 'map') return refsOf(t.of)
  return []
}
function scalarOf(t: FieldType): FieldType {
  return t.t === 'list' || t.t === 'map' ? scalarOf(t.of) : t
}

describe('schema meta.ts + core.ts: structure', () => {
  it('defines each struct once, under the right package prefix', () => {
    expect(byName.size).toBe(mine.length)
    for (const s of metaStructs) expect(s.name.startsWith(M), s.name).toBe(true)
    for (const s of coreStructs) expect(s.name.startsWith(C), s.name).toBe(true)
  })

  it('has no duplicate protobuf field numbers within a struct (embedded messages counted apart)', () => {
    for (const s of mine) {
      const embed = protoEmbeds.find((e) => e.struct === s.name)
      const inner = new Set(embed?.fields ?? [])
      const outer = new Map<number, string>()
      const nested = new Map<number, string>()
      for (const [name, fl] of Object.entries(s.fields)) {
        expect(Number.isInteger(fl.n) && fl.n >= 0, `${s.name}.${name} n=${fl.n}`).toBe(true)
        if (fl.n === 0) continue
        const seen = inner.has(name) ? nested : outer
        expect(seen.get(fl.n), `${s.name}.${name} reuses number ${fl.n}`).toBeUndefined()
        seen.set(fl.n, name)
      }
      if (embed) {
        expect(outer.has(embed.n), `${s.name}: embed field ${embed.n} clashes`).toBe(false)
        for (const name of embed.fields) expect(s.fields[name], `${s.name}.${name}`).toBeDefined()
      }
    }
  })

  it('only apiVersion/kind are off the protobuf wire', () => {
    for (const s of mine) {
      for (const [name, fl] of Object.entries(s.fields)) {
        if (fl.n === 0) expect(['apiVersion', 'kind'], `${s.name}.${name}`).toContain(name)
      }
    }
  })

  it('resolves every ref to meta.ts, core.ts or the core-pod.ts structs it names', () => {
    const known = new Set([...byName.keys(), ...FROM_CORE_POD])
    for (const s of mine) {
      for (const [name, fl] of Object.entries(s.fields)) {
        for (const r of refsOf(fl.type)) expect(known.has(r), `${s.name}.${name} -> ${r}`).toBe(true)
      }
    }
  })

  // Needs every module index.ts imports; they are written in parallel and may not all exist yet.
  const modules = ['meta', 'core-pod', 'core', 'apps', 'batch', 'groups']
  const allPresent = modules.every((m) => existsSync(new URL(`../../src-cluster/api/schema/${m}.ts`, import.meta.url)))
  it.skipIf(!allPresent)('resolves every ref in the full registry (STRUCTS)', async () => {
    const { STRUCTS } = await import('../../src-cluster/api/schema/index')
    for (const s of mine) {
      for (const [name, fl] of Object.entries(s.fields)) {
        for (const r of refsOf(fl.type)) expect(STRUCTS.has(r), `${s.name}.${name} -> ${r}`).toBe(true)
      }
    }
  })

  it('serves every core/v1 resource except Pod from a kind struct here', () => {
    const core = RESOURCES.filter((r) => r.group === '' && r.kind !== 'Pod')
    expect(core.length).toBeGreaterThan(5)
    for (const r of core) {
      const s = struct(r.schema)
      expect(s.gvk).toEqual({ group: '', version: 'v1', kind: r.kind })
      expect(s.fields.apiVersion?.n).toBe(0)
      expect(s.fields.metadata?.n).toBe(1)
    }
  })

  it('has one short line of documentation per struct and field', () => {
    for (const s of mine) {
      expect(s.doc.length, s.name).toBeGreaterThan(5)
      for (const [name, fl] of Object.entries(s.fields)) {
        expect(fl.doc.length > 3 && fl.doc.length <= 110 && !fl.doc.includes('\n'), `${s.name}.${name}: ${fl.doc}`).toBe(true)
      }
    }
  })

  it('keeps defaults inside their enums and ptr only on scalars', () => {
    for (const s of mine) {
      for (const [name, fl] of Object.entries(s.fields)) {
        if (fl.default !== undefined && fl.type.t === 'string' && fl.type.enum) {
          expect(fl.type.enum, `${s.name}.${name}`).toContain(fl.default)
        }
        if (fl.ptr) expect(['string', 'bool', 'int32', 'int64', 'double'], `${s.name}.${name}`).toContain(fl.type.t)
      }
    }
  })
})

describe('schema meta.ts + core.ts: verified facts', () => {
  it('ObjectMeta numbers, pointers and merge metadata', () => {
    const om = M + 'ObjectMeta'
    expect(field(om, 'name').n).toBe(1)
    expect(field(om, 'generateName').n).toBe(2)
    expect(field(om, 'creationTimestamp')).toMatchObject({ n: 8, type: { t: 'time' } })
    expect(field(om, 'deletionGracePeriodSeconds')).toMatchObject({ n: 10, type: { t: 'int64' }, ptr: true })
    expect(field(om, 'labels')).toMatchObject({ n: 11, type: { t: 'map', of: { t: 'string' } } })
    expect(field(om, 'ownerReferences')).toMatchObject({
      n: 13,
      type: { t: 'list', mergeKey: 'uid', strategy: 'merge', listType: 'map', mapKeys: ['uid'] },
    })
    expect(field(om, 'finalizers')).toMatchObject({ n: 14, type: { t: 'list', strategy: 'merge', listType: 'set' } })
    expect(field(om, 'managedFields')).toMatchObject({ n: 17, type: { t: 'list', listType: 'atomic' } })
    expect(field(M + 'ManagedFieldsEntry', 'fieldsV1')).toMatchObject({ n: 7, type: { t: 'raw' } })
    expect(field(M + 'OwnerReference', 'apiVersion')).toMatchObject({ n: 5, required: true })
    expect(field(M + 'OwnerReference', 'controller')).toMatchObject({ n: 6, ptr: true })
  })

  it('Status, DeleteOptions and Condition', () => {
    expect(field(M + 'Status', 'code')).toMatchObject({ n: 6, type: { t: 'int32' } })
    expect(field(M + 'Status', 'kind').n).toBe(0)
    expect(field(M + 'StatusDetails', 'uid').n).toBe(6)
    expect(field(M + 'DeleteOptions', 'gracePeriodSeconds')).toMatchObject({ n: 1, ptr: true, type: { t: 'int64' } })
    expect(field(M + 'DeleteOptions', 'propagationPolicy')).toMatchObject({ n: 4, ptr: true })
    expect(field(M + 'Condition', 'lastTransitionTime')).toMatchObject({ n: 4, required: true })
  })

  it('Service: ports merge by port with map keys port+protocol; defaults; newer fields', () => {
    const spec = C + 'ServiceSpec'
    expect(field(spec, 'ports').type).toEqual({
      t: 'list',
      of: { t: 'ref', name: C + 'ServicePort' },
      mergeKey: 'port',
      strategy: 'merge',
      listType: 'map',
      mapKeys: ['port', 'protocol'],
    })
    expect(field(spec, 'clusterIPs').n).toBe(18)
    expect(field(spec, 'ipFamilies').n).toBe(19)
    expect(field(spec, 'ipFamilyPolicy')).toMatchObject({ n: 17, ptr: true })
    expect(field(spec, 'trafficDistribution')).toMatchObject({ n: 23, ptr: true })
    expect(field(spec, 'type')).toMatchObject({ n: 4, default: 'ClusterIP' })
    expect(field(spec, 'sessionAffinity')).toMatchObject({ n: 7, default: 'None' })
    const port = C + 'ServicePort'
    expect(field(port, 'protocol')).toMatchObject({ n: 2, default: 'TCP', type: { enum: ['TCP', 'UDP', 'SCTP'] } })
    expect(field(port, 'targetPort')).toMatchObject({ n: 4, type: { t: 'intOrString' } })
    expect(field(port, 'port')).toMatchObject({ n: 3, required: true, type: { t: 'int32' } })
    expect(field(port, 'appProtocol')).toMatchObject({ n: 6, ptr: true })
    expect(field(C + 'ServiceStatus', 'conditions').type).toMatchObject({ of: { name: M + 'Condition' }, mergeKey: 'type' })
  })

  it('Secret and ConfigMap data maps', () => {
    expect(field(C + 'Secret', 'data')).toMatchObject({ n: 2, type: { t: 'map', of: { t: 'bytes' } } })
    expect(field(C + 'Secret', 'stringData')).toMatchObject({ n: 4, type: { t: 'map', of: { t: 'string' } } })
    expect(field(C + 'Secret', 'type')).toMatchObject({ n: 3, default: 'Opaque' })
    expect(field(C + 'Secret', 'immutable')).toMatchObject({ n: 5, ptr: true })
    expect(field(C + 'ConfigMap', 'binaryData')).toMatchObject({ n: 3, type: { t: 'map', of: { t: 'bytes' } } })
    expect(field(C + 'ConfigMap', 'immutable')).toMatchObject({ n: 4, ptr: true, type: { t: 'bool' } })
  })

  it('Node: merge keys, numbers, the capital-P kubelet port', () => {
    expect(field(C + 'NodeStatus', 'conditions').type).toMatchObject({ mergeKey: 'type', strategy: 'merge' })
    expect(field(C + 'NodeStatus', 'addresses').type).toMatchObject({ mergeKey: 'type', strategy: 'merge' })
    expect(field(C + 'NodeStatus', 'capacity').type).toEqual({ t: 'map', of: { t: 'quantity' } })
    expect(field(C + 'NodeStatus', 'features').n).toBe(13)
    expect(field(C + 'NodeSpec', 'podCIDRs')).toMatchObject({ n: 7, type: { strategy: 'merge', listType: 'set' } })
    expect(field(C + 'NodeSpec', 'taints').type).toMatchObject({ listType: 'atomic' })
    expect(field(C + 'Taint', 'effect')).toMatchObject({ n: 3, required: true })
    expect(field(C + 'DaemonEndpoint', 'Port')).toMatchObject({ n: 1, type: { t: 'int32' }, required: true })
    expect(field(C + 'ContainerImage', 'sizeBytes').type.t).toBe('int64')
  })

  it('Event, ServiceAccount, Binding, Endpoints', () => {
    expect(field(C + 'Event', 'metadata').required).toBe(true)
    expect(field(C + 'Event', 'eventTime')).toMatchObject({ n: 10, type: { t: 'microTime' } })
    expect(field(C + 'Event', 'reportingInstance').n).toBe(15)
    expect(field(C + 'ServiceAccount', 'secrets').type).toMatchObject({ mergeKey: 'name' })
    expect(field(C + 'ServiceAccount', 'automountServiceAccountToken')).toMatchObject({ n: 4, ptr: true })
    expect(field(C + 'Binding', 'target')).toMatchObject({ n: 2, required: true, type: { name: C + 'ObjectReference' } })
    expect(field(C + 'EndpointAddress', 'targetRef').n).toBe(2)
    expect(field(C + 'EndpointAddress', 'hostname').n).toBe(3)
    expect(field(C + 'EndpointPort', 'protocol')).toMatchObject({ n: 3, default: 'TCP' })
  })

  it('PersistentVolume: sources flat in JSON, nested at field 2 on the wire, exactly one of them', () => {
    const spec = C + 'PersistentVolumeSpec'
    const embed = protoEmbeds.find((e) => e.struct === spec)
    expect(embed?.n).toBe(2)
    expect(embed?.fields).toHaveLength(22)
    expect(field(spec, 'capacity').n).toBe(1)
    expect(field(spec, 'hostPath')).toMatchObject({ n: 3, type: { name: C + 'HostPathVolumeSource' } })
    expect(field(spec, 'csi')).toMatchObject({ n: 22, type: { name: C + 'CSIPersistentVolumeSource' } })
    expect(field(spec, 'local').n).toBe(20)
    expect(struct(spec).oneOf?.[0]).toEqual(embed?.fields)
    expect(field(spec, 'persistentVolumeReclaimPolicy')).toMatchObject({ n: 5, default: 'Retain' })
    expect(field(spec, 'volumeMode')).toMatchObject({ n: 8, ptr: true, default: 'Filesystem' })
    expect(scalarOf(field(spec, 'accessModes').type)).toMatchObject({ enum: expect.arrayContaining(['ReadWriteOncePod']) })
    expect(field(C + 'ISCSIPersistentVolumeSource', 'chapAuthSession').n).toBe(11)
    expect(field(C + 'RBDPersistentVolumeSource', 'pool').default).toBe('rbd')
  })

  it('PersistentVolumeClaim spec and status', () => {
    const spec = C + 'PersistentVolumeClaimSpec'
    expect(field(spec, 'selector')).toMatchObject({ n: 4, type: { name: M + 'LabelSelector' } })
    expect(field(spec, 'resources')).toMatchObject({ n: 2, type: { name: C + 'VolumeResourceRequirements' } })
    expect(field(spec, 'storageClassName')).toMatchObject({ n: 5, ptr: true })
    expect(field(spec, 'dataSourceRef')).toMatchObject({ n: 8, type: { name: C + 'TypedObjectReference' } })
    const status = C + 'PersistentVolumeClaimStatus'
    expect(field(status, 'allocatedResourceStatuses').n).toBe(7)
    expect(field(status, 'modifyVolumeStatus').n).toBe(9)
    expect(field(status, 'conditions').type).toMatchObject({ mergeKey: 'type', listType: 'map' })
    expect(field(C + 'TopologySelectorLabelRequirement', 'values')).toMatchObject({ n: 2, required: true })
  })
})
